import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { merkleLeaf, merkleRootOfHashes } from "../../crypto/merkle.ts";
import { encodeTxResult, type TxResult } from "../../proto/records.ts";
import { type DecodedTx, decodeTx } from "../../proto/tx.ts";
import type { BlockContext } from "../../state/block-context.ts";
import { executeBlock } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { blockIndexKeys } from "../../state/index-terms.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { LatestState } from "../../state/store/latest-state.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { allocationSites, type HeapProfileNode } from "./heap-sites.ts";

/**
 * Bytes allocated per transfer on the block execution and commit path, alone (no RPC, no consensus), by
 * allocation site: the node's per-block work of node/chain-app.ts (execute, encode the results, their leaves
 * and roots, the state tree, the index keys, the LevelDB batch, the latest state), plus two mempool-style
 * account reads per tx (node/node.ts). Sampled with V8's heap profiler at a fine interval, so the figures
 * are steady from run to run, unlike a whole-node bench. Usage:
 *   npx node test/bench/exec-alloc.ts [--blocks 8] [--txs 2500] [--top 30] [--out FILE.heapprofile] [--new-accounts]
 * (--new-accounts: each transfer pays a new address, instead of all paying one)
 */
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const blocks = arg("--blocks", 8);
const perBlock = arg("--txs", 2500);
const top = arg("--top", 30);
const CHAIN = "opl-exec-alloc-1";
const FEE = DEFAULT_PARAMS.minFee;

const senders = Array.from({ length: 32 }, () => new TestAccount());
const newAccounts = process.argv.includes("--new-accounts");
const fixedRecipient = new TestAccount().address;
let fresh = 0;
const recipient = (): Uint8Array => {
  if (!newAccounts) return fixedRecipient;
  const address = new Uint8Array(20);
  new DataView(address.buffer).setUint32(16, ++fresh);
  return address;
};
const proposer = new Uint8Array(20).fill(9);
const dir = mkdtempSync(join(tmpdir(), "opl-exec-alloc-"));
try {
  const genesis = {
    chainId: CHAIN,
    genesisTimeMs: 0,
    params: DEFAULT_PARAMS,
    validators: [],
    accounts: senders.map((s) => ({ address: s.address, balance: 10n ** 18n })),
  };
  const db = await ChainDb.open(dir);
  const state = new LatestState();
  const writes = genesisWrites(genesis);
  const tree = state.treeWith(writes);
  await db.writeGenesisPart(writes);
  await db.writeGenesis(`${CHAIN}:x`, tree.ops());
  state.apply(writes, tree);

  const blockTxs: DecodedTx[][] = [];
  for (let b = 0; b < blocks + 1; b++) {
    blockTxs.push(
      Array.from({ length: perBlock }, (_, i) =>
        decodeTx(senders[i % senders.length].transfer(CHAIN, recipient(), 1n, FEE).bytes),
      ),
    );
  }
  const session = new Session();
  session.connect();
  const runBlock = async (height: number, txs: DecodedTx[]) => {
    for (const tx of txs) {
      getAccount(state, tx.sender);
      getAccount(state, tx.sender);
    }
    const ctx: BlockContext = {
      chainId: CHAIN,
      height,
      timeMs: 1_700_000_000_000 + height,
      proposer,
      params: DEFAULT_PARAMS,
      lastCommitVotes: [],
      evidence: [],
    };
    const outcome = executeBlock(state, txs, ctx);
    if (!outcome.ok) throw new Error(outcome.rejected.error.message);
    const { writes: w, results, blockEvents } = outcome.execution;
    const resultBytes = results.map((r: TxResult) => encodeTxResult(r));
    const resultLeaves = resultBytes.map(merkleLeaf);
    merkleRootOfHashes(resultLeaves);
    merkleRootOfHashes(txs.map((t) => t.hash));
    const candidate = state.treeWith(w);
    await db.commitBlock({
      height,
      block: { header: {} as never, txs: [], lastCommit: undefined, evidence: [] },
      blockBytes: new Uint8Array(0),
      meta: {
        hash: new Uint8Array(32),
        commit: { height, round: 0, blockHash: new Uint8Array(32), signatures: [] },
        numTxs: txs.length,
      },
      txs: txs.map((t, i) => ({
        hash: t.hash,
        bytes: t.bytes,
        resultBytes: resultBytes[i],
        resultLeaf: resultLeaves[i],
      })),
      writes: w,
      tree: candidate,
      blockEvents,
      indexKeys: blockIndexKeys(height, txs, results, blockEvents),
    });
    state.apply(w, candidate);
  };
  await runBlock(1, blockTxs[0]); // warm-up
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let b = 1; b <= blocks; b++) await runBlock(b + 1, blockTxs[b]);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  await db.close();
  const out = process.argv.indexOf("--out");
  if (out >= 0) writeFileSync(process.argv[out + 1], JSON.stringify(profile));

  const txCount = blocks * perBlock;
  const { bySite, total } = allocationSites(profile.head as HeapProfileNode);
  console.log(`${Math.round(total / txCount)} bytes per tx (${blocks} blocks of ${perBlock} transfers, sampled every 256 B)`);
  // With --expose-gc: what stays live after the blocks (caches included), after a full collection.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    console.log(`live heap after a full GC: ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB`);
  }
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${Math.round(v / txCount)} B/tx | ${k}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
