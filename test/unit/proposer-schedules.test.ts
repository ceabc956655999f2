import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ChainInfo } from "../../consensus/application.ts";
import {
  advancePriorities,
  CHECKPOINT_INTERVAL,
  initialPrioritySet,
  type PriorityCheckpoint,
  ProposerSchedule,
} from "../../consensus/proposer.ts";
import { toHex } from "../../crypto/bytes.ts";
import { ProposerSchedules } from "../../node/proposer-schedules.ts";
import type { Validator } from "../../proto/block.ts";

/**
 * The driver's proposer schedules, on a stand-in chain whose validator set changes every 7 heights: the
 * proposer of every round equals a walk of the priorities from genesis, whether the schedules start from
 * genesis or from a checkpoint this node saved; a checkpoint that does not match the chain is ignored (and
 * said so), never trusted; checkpoints are saved only for committed heights.
 */
function validator(n: number, power: number): Validator {
  const address = new Uint8Array(20).fill(n);
  return { address, pubkey: new Uint8Array(32).fill(n), power };
}

/** Four validators, then a fifth from height 1500; powers move every 7 heights. */
function setAt(h: number): Validator[] {
  const since = h - (h % 7);
  const members = h >= 1500 ? 5 : 4;
  return Array.from({ length: members }, (_, i) => validator(i + 1, 100 + ((since + i) % 5)));
}

function chain(committed: { height: number }) {
  return {
    validators: (h: number) => setAt(h),
    validatorSetSince: (h: number) => (h >= 1500 && h - (h % 7) < 1500 ? 1500 : Math.max(1, h - (h % 7))),
    info: (): ChainInfo => ({
      chainId: "opl-test-1",
      height: committed.height,
      lastBlockHash: new Uint8Array(0),
      lastBlockTimeMs: 0,
      lastCommit: undefined,
    }),
  };
}

/** The proposers of rounds 0-3 at `height`, walked from genesis with the same rules, independently. */
function expectedProposers(app: ReturnType<typeof chain>, height: number): number[] {
  const idsOf = (h: number) => app.validators(h).map((v) => ({ id: toHex(v.address), power: v.power }));
  const at = advancePriorities({ height: 1, set: initialPrioritySet(idsOf(1)) }, height, (h) =>
    app.validatorSetSince(h) === h ? idsOf(h) : undefined);
  const schedule = new ProposerSchedule(at.set);
  return [0, 1, 2, 3].map((r) => schedule.proposer(r));
}

function logCapture() {
  const lines: string[] = [];
  const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
  return { log, lines };
}

describe("the driver's proposer schedules", () => {
  it("gives every height's proposers as a walk from genesis, across validator-set changes", () => {
    const committed = { height: 0 };
    const app = chain(committed);
    const schedules = new ProposerSchedules({ app, log: pino({ level: "silent" }) });
    for (let h = 1; h <= 40; h++) {
      committed.height = h - 1;
      expect([0, 1, 2, 3].map((r) => schedules.at(h).proposer(r))).toEqual(expectedProposers(app, h));
      expect(schedules.at(h + 1).proposer(0)).toBe(expectedProposers(app, h + 1)[0]); // the next height too
    }
  });

  it("saves a checkpoint every CHECKPOINT_INTERVAL committed heights, and a restart from it agrees", () => {
    const committed = { height: 2 * CHECKPOINT_INTERVAL + 10 };
    const app = chain(committed);
    const saved: PriorityCheckpoint[] = [];
    const first = new ProposerSchedules({ app, saveCheckpoint: (c) => saved.push(c), log: pino({ level: "silent" }) });
    first.at(committed.height + 1);
    expect(saved.map((c) => c.height)).toEqual([CHECKPOINT_INTERVAL, 2 * CHECKPOINT_INTERVAL]);
    // Not for heights still to be committed: their validator sets may yet change.
    const ahead = { height: CHECKPOINT_INTERVAL - 5 };
    const early: PriorityCheckpoint[] = [];
    new ProposerSchedules({ app: chain(ahead), saveCheckpoint: (c) => early.push(c), log: pino({ level: "silent" }) })
      .at(CHECKPOINT_INTERVAL + 1);
    expect(early).toEqual([]);

    const { log, lines } = logCapture();
    const restarted = new ProposerSchedules({ app, checkpoint: saved[1], log });
    const h = committed.height + 1;
    expect([0, 1, 2, 3].map((r) => restarted.at(h).proposer(r))).toEqual(expectedProposers(app, h));
    expect(lines).toEqual([]); // the checkpoint agreed with the chain
  });

  it("ignores a checkpoint that does not match the chain (a power changed, or a height not committed)", () => {
    const committed = { height: CHECKPOINT_INTERVAL + 3 };
    const app = chain(committed);
    const saved: PriorityCheckpoint[] = [];
    new ProposerSchedules({ app, saveCheckpoint: (c) => saved.push(c), log: pino({ level: "silent" }) })
      .at(committed.height + 1);
    const good = saved[0];
    const damaged: PriorityCheckpoint = {
      height: good.height,
      set: good.set.map((v, i) => (i === 0 ? { ...v, power: v.power + 1n, priority: v.priority + 1000n } : v)),
    };
    const future: PriorityCheckpoint = { ...good, height: committed.height + 50 };
    for (const bad of [damaged, future]) {
      const { log, lines } = logCapture();
      const schedules = new ProposerSchedules({ app, checkpoint: bad, log });
      const h = committed.height + 1;
      expect([0, 1, 2, 3].map((r) => schedules.at(h).proposer(r))).toEqual(expectedProposers(app, h));
      expect(lines.join("")).toMatch(/does not match the chain/);
    }
  });
});
