import { describe, expect, it } from "vitest";
import type { TxResult } from "../../../proto/records.ts";
import type { TxMsg } from "../../../proto/tx.ts";
import { TX_ERRORS } from "../../../state/errors.ts";
import { getProposal, getUpgradeDoneHeight, getUpgradePlan } from "../../../state/modules/gov/queries.ts";
import { haltingPlan, UpgradeHaltError } from "../../../state/upgrades/halt.ts";
import { NO_UPGRADES } from "../../../state/upgrades/handler.ts";
import { testMarkerRuns, upgradeBinary } from "../../../state/upgrades/registry.ts";
import { beginBlock } from "../../../state/execute.ts";
import { evidenceKey } from "../../../state/modules/staking/keys.ts";
import { Overlay } from "../../../state/view.ts";
import { GovChain, OPEN } from "../../helpers/gov-chain.ts";

/**
 * Software upgrades in the state machine: a passed upgrade proposal becomes the pending plan; at its height
 * a binary with the handler runs it once and records the name as done, a binary whose operator skips the
 * height clears the plan, and any other binary cannot execute the block (UpgradeHaltError).
 */

const upgrade = (name: string, height: number): TxMsg => ({
  type: "submit_proposal",
  title: `upgrade ${name}`,
  description: "",
  deposit: 100n * OPEN,
  content: { kind: "upgrade", name, height },
});

function ok(result: TxResult): void {
  expect(result.log).toBe("");
  expect(result.code).toBe(0);
}

/** Submits an upgrade and passes it with the validators' yes votes; returns the height its vote ended at. */
function pass(chain: GovChain, name: string, height: number): number {
  const [submitted] = chain.block([{ from: 3, msg: upgrade(name, height) }]);
  ok(submitted);
  const id = Number(submitted.events.find((e) => e.type === "submit_proposal")?.attributes.find((a) => a.key === "proposal")?.value);
  chain.block([0, 1, 2].map((from) => ({ from, msg: { type: "vote", proposalId: id, option: "yes", validators: [] } as TxMsg })));
  const end = getProposal(chain.state, id)?.votingEnd ?? 0;
  chain.until(end);
  expect(getProposal(chain.state, id)?.status).toBe("passed");
  return end;
}

describe("software upgrades in state", () => {
  it("a passed upgrade is the pending plan; the handler runs once at its height and the name is done", () => {
    const chain = new GovChain();
    const end = pass(chain, "v2", 20);
    expect(end).toBeLessThan(19);
    expect(getUpgradePlan(chain.state)).toEqual({ name: "v2", height: 20, proposalId: 1 });
    chain.until(19);
    // Before its height nothing halts or runs; at it, a binary without the handler would stop.
    expect(haltingPlan(chain.state, 19, NO_UPGRADES)).toBeUndefined();
    expect(haltingPlan(chain.state, 20, NO_UPGRADES)).toEqual({ name: "v2", height: 20, proposalId: 1 });
    expect(testMarkerRuns(chain.state, "v2")).toBe(0);

    chain.upgrades = upgradeBinary({ testHandlers: ["v2"] });
    expect(haltingPlan(chain.state, 20, chain.upgrades)).toBeUndefined();
    chain.block();
    expect(chain.height).toBe(20);
    expect(chain.blockEvents.map((e) => e.type)).toContain("upgrade_applied");
    expect(testMarkerRuns(chain.state, "v2")).toBe(1);
    expect(getUpgradeDoneHeight(chain.state, "v2")).toBe(20);
    expect(getUpgradePlan(chain.state)).toBeUndefined();
    chain.until(25);
    expect(testMarkerRuns(chain.state, "v2")).toBe(1); // once, not at every later block

    // A name is applied once: a new proposal for it is refused at submission.
    const again = chain.send(3, upgrade("v2", 60));
    expect(again.code).toBe(TX_ERRORS.INVALID_MSG);
    expect(again.log).toBe("upgrade v2 was already applied at height 20");
  });

  it("a binary without the handler cannot execute the block at the height, and the state stays as it was", () => {
    const chain = new GovChain();
    pass(chain, "v3", 20);
    chain.until(19);
    const before = [...chain.state.entries(new Uint8Array(0))];
    expect(() => chain.block()).toThrow(UpgradeHaltError);
    expect(() => chain.block()).toThrow("upgrade v3 is scheduled at height 20; this binary does not have it");
    expect(chain.height).toBe(19);
    expect([...chain.state.entries(new Uint8Array(0))]).toEqual(before);
    // Another handler does not help: the name must match.
    chain.upgrades = upgradeBinary({ testHandlers: ["v4"] });
    expect(() => chain.block()).toThrow(UpgradeHaltError);
  });

  it("--unsafe-skip-upgrades: the plan is cleared at its height, no handler runs, the chain goes on", () => {
    const chain = new GovChain();
    pass(chain, "v3", 20);
    chain.until(19);
    chain.upgrades = upgradeBinary({ skipHeights: [20] });
    expect(haltingPlan(chain.state, 20, chain.upgrades)).toBeUndefined();
    chain.block();
    expect(chain.blockEvents.map((e) => e.type)).toContain("upgrade_skipped");
    expect(getUpgradePlan(chain.state)).toBeUndefined();
    expect(getUpgradeDoneHeight(chain.state, "v3")).toBeUndefined();
    expect(testMarkerRuns(chain.state, "v3")).toBe(0);
    chain.upgrades = undefined;
    chain.until(24); // nothing left to halt for
  });

  it("a later passed upgrade replaces the pending plan", () => {
    const chain = new GovChain();
    pass(chain, "v2", 40);
    pass(chain, "v2b", 45);
    expect(getUpgradePlan(chain.state)).toMatchObject({ name: "v2b", height: 45 });
    chain.until(44); // v2's height passes with no plan for it
    expect(() => chain.block()).toThrow("upgrade v2b is scheduled at height 45");
  });

  it("the handler runs before every other begin-block hook: it sees the block's state before staking's hook", () => {
    const chain = new GovChain();
    pass(chain, "v2", 20);
    chain.until(19);
    // Staking's begin-block marks each piece of evidence the block carries as seen (before it slashes).
    const evidence = { hash: new Uint8Array(32).fill(7), validator: new Uint8Array(20).fill(9), height: 18 };
    const seen: (Uint8Array | undefined)[] = [];
    const upgrades = { handlers: new Map([["v2", (v: Overlay) => void seen.push(v.get(evidenceKey(evidence.hash)))]]), skipHeights: new Set<number>() };
    const view = new Overlay(chain.state);
    const events = beginBlock(view, { ...chain.context(), evidence: [evidence], upgrades });
    expect(seen).toEqual([undefined]); // the handler ran once, before staking's hook marked the evidence
    expect(view.get(evidenceKey(evidence.hash))).toBeDefined(); // which did run after it
    expect(events[0].type).toBe("upgrade_applied");
  });
});
