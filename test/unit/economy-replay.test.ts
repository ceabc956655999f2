import { readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { executeBlock } from "../../state/execute.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import {
  ACCOUNTS,
  BLOCKS,
  blockContext,
  blockOf,
  ECONOMY_MSGS,
  genesisState,
  includableTxs,
} from "../helpers/economy-workload.ts";
import type { MemoryState } from "../helpers/memory-state.ts";

/**
 * Replay of a recorded chain: a fixed seed of the economy workload (every message kind, evidence, missed
 * votes) run through the executor must give, block by block, the state root and the tx results recorded in
 * the fixture. The fixture was written by the code before the module-contract refactor (commit "replay
 * fixture"), so this proves the refactor changed no state byte and no result. ECONOMY_REPLAY_WRITE=1
 * rewrites it: only ever do that on purpose, for a change that is meant to change state.
 */

const FIXTURE = new URL("./fixtures/economy-replay.json", import.meta.url);
const SEED = 16_2026;
const RUNS = 4;

interface Recorded {
  /** Per run, per height: the state root (as the app hash is computed: SMT over every key) and results. */
  runs: { stateRoot: string; results: string }[][];
  /** Message kinds that succeeded at least once over the runs. */
  succeeded: string[];
}

function stateRoot(state: MemoryState): string {
  const entries = state.entries(new Uint8Array(0)).map(([k, v]) => ({ path: treePath(k), valueHash: valueHash(v) }));
  return toHex(SparseMerkleTree.fromEntries(entries).rootHash);
}

const jsonOf = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));

function record(): Recorded {
  const samples = fc.sample(fc.array(blockOf(ECONOMY_MSGS), { minLength: BLOCKS, maxLength: BLOCKS }), {
    seed: SEED,
    numRuns: RUNS,
  });
  const succeeded = new Set<string>();
  const runs = samples.map((blocks) => {
    const state = genesisState();
    const nonces = ACCOUNTS.map(() => 0);
    return blocks.map((spec, i) => {
      const ctx = blockContext(spec, i + 1);
      const { txs } = includableTxs(state, spec, ctx, nonces);
      const outcome = executeBlock(state, txs, ctx);
      if (!outcome.ok) throw new Error(`block ${i + 1} refused a tx: ${outcome.rejected.error.message}`);
      state.apply(outcome.execution.writes);
      outcome.execution.results.forEach((r, k) => r.code === 0 && succeeded.add(txs[k].body.msg.type));
      const results = toHex(sha256(new TextEncoder().encode(jsonOf(outcome.execution))));
      return { stateRoot: stateRoot(state), results };
    });
  });
  return { runs, succeeded: [...succeeded].sort() };
}

describe("economy replay", () => {
  it("a recorded chain of every message kind replays to the same state roots and results", () => {
    const replayed = record();
    if (process.env.ECONOMY_REPLAY_WRITE === "1") writeFileSync(FIXTURE, `${JSON.stringify(replayed, null, 1)}\n`);
    const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Recorded;
    // The workload did reach every kind of the economy's messages (else the replay would prove little).
    expect(recorded.succeeded.length).toBeGreaterThanOrEqual(ECONOMY_MSGS.length);
    expect(replayed.succeeded).toEqual(recorded.succeeded);
    for (const [run, heights] of recorded.runs.entries()) {
      for (const [i, want] of heights.entries()) {
        expect(replayed.runs[run][i], `run ${run}, height ${i + 1}`).toEqual(want);
      }
    }
  });
});
