/**
 * What a block's tx results cost the main thread from execution to the commit's batch, per transfer, in
 * multiples of one ed25519 verify's CPU time measured in the same run: encoding each result, hashing its
 * leaf, the results root, and each tx record (node/block-results.ts, state/store/block-store.ts), done two
 * ways over the same real transfer results (executeBlock's):
 *   - packed: as the node does it (BlockResults: the results in one array, each leaf hashed where its result
 *     lies into one array of leaves; each tx record encoded into one reused scratch);
 *   - one array each: a new array per result, a node:crypto digest (a Buffer and a view) per leaf, a new
 *     array per tx record, as the node did before.
 * Each block's results are held while the next three are made, as a loaded node holds a block's from its
 * execution to its commit, so the garbage ages as it does there.
 *
 *   npx node --max-semi-space-size=16 test/bench/results-cost.ts [--per-block 2000] [--blocks 30] [--runs 5]
 *
 * (--max-semi-space-size=16: the node's own young generation, node/node-process-env.ts.) CPU is
 * process.cpuUsage (every thread: V8's GC helpers included); each figure is the least over --runs.
 */
import { parseArgs } from "node:util";
import { merkleLeaf, merkleRootOfHashes } from "../../crypto/merkle.ts";
import { BlockResults } from "../../node/block-results.ts";
import { encodeTxRecord, encodeTxRecordInto, encodeTxResult, type TxResult } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import { executeBlock } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { cpuUs, verifyCpuUs } from "./verify-cpu.ts";

const { values } = parseArgs({
  options: {
    "per-block": { type: "string", default: "2000" },
    "blocks": { type: "string", default: "30" },
    "runs": { type: "string", default: "5" },
  },
});
const PER_BLOCK = Number(values["per-block"]);
const BLOCKS = Number(values.blocks);
const RUNS = Number(values.runs);
const CHAIN = "opl-results-cost";

// Real transfers and the results execution gives them.
const senders = Array.from({ length: 32 }, () => new TestAccount());
const recipient = new TestAccount().address;
const state = new LatestState();
const genesis = genesisWrites({
  chainId: CHAIN,
  genesisTimeMs: 0,
  params: DEFAULT_PARAMS,
  validators: [],
  accounts: senders.map((s) => ({ address: s.address, balance: 10n ** 18n })),
});
state.apply(genesis, state.treeWith(genesis));
const txs = Array.from({ length: PER_BLOCK }, (_, i) =>
  decodeTx(senders[i % senders.length].transfer(CHAIN, recipient, 1n, DEFAULT_PARAMS.minFee).bytes),
);
const ctx = {
  chainId: CHAIN,
  height: 2,
  timeMs: 1,
  proposer: new Uint8Array(20),
  params: DEFAULT_PARAMS,
  lastCommitVotes: [],
  evidence: [],
};
const outcome = executeBlock(state, txs, ctx);
if (!outcome.ok) throw new Error(`the transfers did not execute: ${outcome.rejected.error.message}`);
const results = outcome.execution.results as TxResult[];

const held: unknown[] = [];
const hold = (x: unknown) => {
  held.push(x);
  if (held.length > 3) held.shift();
};
let check = 0; // read, so nothing is optimized away

function packed(): void {
  const scratch = new Uint8Array(16 * 1024);
  for (let b = 0; b < BLOCKS; b++) {
    const taken = new BlockResults(b, false, PER_BLOCK);
    for (let i = 0; i < PER_BLOCK; i++) taken.add(txs[i], results[i]);
    check += taken.root()[0];
    for (let i = 0; i < PER_BLOCK; i++) {
      check += encodeTxRecordInto({ height: b, index: i, tx: txs[i].bytes, resultBytes: taken.bytesAt(i) }, scratch)[0];
    }
    hold(taken);
  }
}

function oneArrayEach(): void {
  for (let b = 0; b < BLOCKS; b++) {
    const bytes = results.map((r) => encodeTxResult(r));
    const leaves = bytes.map(merkleLeaf);
    check += merkleRootOfHashes(leaves)[0];
    for (let i = 0; i < PER_BLOCK; i++) {
      check += encodeTxRecord({ height: b, index: i, tx: txs[i].bytes, resultBytes: bytes[i] })[0];
    }
    hold([bytes, leaves]);
  }
}

const verifyUs = verifyCpuUs(CHAIN);
packed(); // warm-up, both
oneArrayEach();
const best = { packed: Infinity, each: Infinity };
for (let run = 0; run < RUNS; run++) {
  best.packed = Math.min(best.packed, cpuUs(packed) / (BLOCKS * PER_BLOCK));
  best.each = Math.min(best.each, cpuUs(oneArrayEach) / (BLOCKS * PER_BLOCK));
}
const inVerifies = (us: number) => (us / verifyUs).toFixed(3);
console.log(`one verify ${verifyUs.toFixed(1)} us of CPU; a transfer's result ${encodeTxResult(results[0]).byteLength} bytes`);
console.log(
  `per tx (least of ${RUNS} runs of ${BLOCKS} blocks of ${PER_BLOCK}): packed ${best.packed.toFixed(2)} us ` +
  `(${inVerifies(best.packed)} verifies), one array each ${best.each.toFixed(2)} us (${inVerifies(best.each)} verifies)` +
  (check === -1 ? "" : ""),
);
