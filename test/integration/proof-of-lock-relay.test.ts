import { rmSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import type { ConsensusNetwork } from "../../node/consensus-outbox.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey, type ValidatorKey } from "../../node/validator-key.ts";
import type { Validator } from "../../proto/block.ts";
import { PRECOMMIT } from "../../proto/consensus.ts";
import type { ConsensusMessage, ReceivedConsensusMessage } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { MemoryApp } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * Tendermint decides after GST only if every correct node eventually receives the prevotes a re-proposal's
 * proof-of-lock round rests on (the paper's gossip assumption; CometBFT's reactor sends a peer the prevotes of a
 * proposal's POL round it lacks). A node re-sent only its own votes of the current and previous round: a node
 * that lost a prevote of an older round could never see the lock's quorum again, and a two-validator chain
 * stalled for good, one validator locked on a value the other could not accept. It happened to a validator
 * syncing again from an empty chain.db (its WAL started anew), as below: validator B restarts without its WAL
 * after both prevoted block v in round 0 and their precommits were lost. A stays locked on v (round 0) and
 * re-proposes it with proof-of-lock round 0; B, which no longer holds its own round-0 prevote, must be sent it.
 */
const TIMEOUTS = {
  proposeMs: 300,
  proposeDeltaMs: 100,
  prevoteMs: 150,
  prevoteDeltaMs: 50,
  precommitMs: 150,
  precommitDeltaMs: 50,
};

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Node {
  key: ValidatorKey;
  dir: string;
  app: MemoryApp;
  driver: ConsensusDriver;
}

describe("the proof of a lock is relayed", () => {
  it("a validator that lost the prevotes of its peer's lock round gets them, and the height is decided", async () => {
    const dirs = [0, 1].map(() => {
      const t = tempDir("opl-pol-");
      cleanups.push(t.cleanup);
      createValidatorKey(join(t.dir, "key.json"));
      return t.dir;
    });
    const keys = dirs.map((d) => loadValidatorKey(join(d, "key.json")));
    const validators: Validator[] = keys.map((k) => ({ address: k.address, pubkey: k.publicKey, power: 10 }));
    // Round 0's precommits are lost (both ways) until B has restarted; everything else arrives.
    let lossy = true;
    const precommitsSeen = new Set<number>();
    const nodes: (Node | undefined)[] = [undefined, undefined];

    const start = (i: number): Node => {
      const app = new MemoryApp(validators);
      const network: ConsensusNetwork = {
        broadcast: (m) => {
          if (m.type === "vote" && m.vote.vote.type === PRECOMMIT && m.vote.vote.round === 0) {
            precommitsSeen.add(i);
            if (lossy) return;
          }
          const copy = received(m);
          setImmediate(() => nodes[1 - i]?.driver.receive(copy, `peer-${i}`));
        },
      };
      const driver = new ConsensusDriver({
        app,
        network,
        rebroadcastMs: 100,
        signer: new GuardedSigner(keys[i], join(dirs[i], "signer.json"), join(dirs[i], "audit.log")),
        walPath: join(dirs[i], "cs.wal"),
        timeouts: TIMEOUTS,
        commitTimeoutMs: 0,
        logger: pino({ level: "silent" }),
        onFatal: (err) => {
          throw err;
        },
      });
      // Every block of MemoryApp carries smallBlock's one tx: a compact proposal is assembled from it.
      const txs = smallBlock().txs;
      driver.useProposalAssembler(async (c) => ({
        block: { header: c.header, lastCommit: c.lastCommit, evidence: c.evidence, txs },
      }));
      const node = { key: keys[i], dir: dirs[i], app, driver };
      nodes[i] = node;
      return node;
    };

    const a = start(0);
    let b = start(1);
    cleanups.push(() => a.driver.stop());
    cleanups.push(() => nodes[1]?.driver.stop());
    await a.driver.start();
    await b.driver.start();
    await waitFor("both validators' precommits of round 0 (lost)", () => (precommitsSeen.size === 2 ? true : undefined), 10_000);
    expect(a.app.committed).toHaveLength(0);

    // B syncs again: its WAL is gone (its signer state stays), and it starts height 1 past the round it signed in.
    await b.driver.stop();
    rmSync(join(b.dir, "cs.wal"), { force: true });
    lossy = false;
    b = start(1);
    await b.driver.start();

    await waitFor("height 1 decided on both", () =>
      (a.app.committed.length >= 1 && b.app.committed.length >= 1 ? true : undefined), 20_000);
    expect(a.app.committed[0].header.height).toBe(1);
    expect(b.app.committed[0].header).toEqual(a.app.committed[0].header);
  }, 40_000);
});

/** A message as the peer's network layer hands it over (a full proposal's block as bytes). */
function received(m: ConsensusMessage): ReceivedConsensusMessage {
  return m.type === "proposal" ? { type: "proposal", proposal: m.proposal, blockBytes: m.blockBytes } : m;
}
