// How long a peer takes to check a block at the work limit (params.maxBlockWork), for several tx mixes,
// as a ratio of the 3 s propose timeout (issue 12: a block at the limit must be checked in under a third of
// it). Also the calibration of state/work.ts: each mix's check time per tx in ed25519 verifies, measured in
// the same run.
//
//   npx node test/bench/max-block-check.ts [--runs 3] [--mix transfer-new,transfer-existing,create-datanet,multi-send-new]
//
// A check is what ChainApp.validate does for a proposal from the network: decode the block bytes, check
// the body against the header (node/consensus-checks.ts), verify the signatures of txs this node has not
// seen (on the verify pool, as a node does), execute, compute the state and results roots. The peer has
// none of the txs in its mempool (the costliest case). Each mix is checked `runs` times on a fresh peer;
// the worst run is reported (this machine is shared: the worst is what a loaded node sees).
import { parseArgs } from "node:util";
import { referenceVerify } from "./reference-verify.ts";
import { VerifyPool } from "../../crypto/verify-pool.ts";
import { DEFAULT_TIMEOUTS } from "../../consensus/engine/types.ts";
import { bodyMismatch, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { decodeTx, txSignBytes, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { MAX_MULTI_SEND_OUTPUTS } from "../../state/modules/bank/multi-send.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { blockWork, txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { appGenesis, firstBlockRequest, openApp } from "../helpers/chain-app-fixture.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    mix: { type: "string", default: "transfer-new,transfer-existing,create-datanet" },
  },
});
const runs = Number(values.runs);
const CHAIN_ID = "opl-app-1";
const params = DEFAULT_PARAMS;
const proposeMs = DEFAULT_TIMEOUTS.proposeMs;

/** Single-core ed25519 verifies per ms, measured now (the unit of the work costs). */
function verifyMsEach(): number {
  const a = new TestAccount();
  const msg = txSignBytes(CHAIN_ID, new Uint8Array(120).fill(7));
  const sig = a.sign(msg);
  for (let i = 0; i < 300; i++) referenceVerify(msg, sig, a.publicKey);
  const n = 3000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) referenceVerify(msg, sig, a.publicKey);
  return (performance.now() - t0) / n;
}

const MIXES: Record<string, (sender: TestAccount, i: number, others: TestAccount[]) => TxMsg> = {
  // A fresh recipient: a new account, a new state-tree leaf (the costliest transfer).
  "transfer-new": () => ({ type: "transfer", to: new TestAccount().address, amount: 1n }),
  // To another funded sender: two existing leaves updated.
  "transfer-existing": (_s, i, others) => ({ type: "transfer", to: others[(i + 1) % others.length].address, amount: 1n }),
  // A multi-send at its recipient limit, every recipient a new account (the costliest multi-send).
  "multi-send-new": () => ({
    type: "multi_send",
    outputs: Array.from({ length: MAX_MULTI_SEND_OUTPUTS }, () => ({ to: new TestAccount().address, amount: 1n })),
  }),
  // A datanet at every size limit: the largest record one message writes.
  "create-datanet": (_s, i) => ({
    type: "create_datanet",
    name: `datanet-${i}`.padEnd(params.datanets.maxNameBytes, "x"),
    description: "d".repeat(params.datanets.maxDescriptionBytes),
    license: "l".repeat(params.datanets.maxLicenseBytes),
    curators: Array.from({ length: params.datanets.maxCurators }, (_, k) => new Uint8Array(20).fill(k + 1)),
    contributionStake: 1n,
    reviewFee: 1n,
    allowListed: true,
    contributors: Array.from({ length: params.datanets.maxContributors }, (_, k) => {
      const a = new Uint8Array(20);
      a[0] = k & 0xff;
      a[1] = k >> 8;
      a[2] = 0xcc;
      return a;
    }),
  }),
};

async function measureMix(name: string, pool: VerifyPool, verifyMs: number) {
  const make = MIXES[name];
  if (make === undefined) throw new Error(`unknown mix ${name}`);
  // Enough senders, one tx each, for a block at the work limit (the first tx's cost prices them all).
  const probe = new TestAccount();
  const probeMsg = make(probe, 0, [probe]);
  const probeBody = { chainId: CHAIN_ID, senderPubkey: probe.publicKey, nonce: 0, fee: params.minFee, msg: probeMsg };
  const probeTx = decodeTx(signTx(probeBody, (m) => probe.sign(m)).bytes);
  const count = Math.min(params.maxBlockTxs, Math.floor(params.maxBlockWork / txWork(probeTx)) + 1);
  const senders = Array.from({ length: count }, () => new TestAccount());
  const { genesis, validator } = appGenesis(senders, 10n ** 21n, params);
  const proposer = await openApp(genesis, { pool, limits: { maxTxs: count + 10, maxBytes: 1 << 30 } });
  try {
    // In chunks: the mempool refuses more admissions at once than it checks in ADMISSION_QUEUE_MS (250 ms).
    for (let from = 0; from < senders.length; from += 200) {
      await Promise.all(
        senders.slice(from, from + 200).map((s, k) => {
          const msg = make(s, from + k, senders);
          const body = { chainId: CHAIN_ID, senderPubkey: s.publicKey, nonce: 0, fee: params.minFee * 10n, msg };
          return proposer.mempool.add(signTx(body, (m) => s.sign(m)).bytes);
        }),
      );
    }
    const block = await proposer.app.propose(firstBlockRequest(genesis, validator));
    const bytes = encodeBlock(block);
    const txs = block.txs.map((b) => decodeTx(b));
    const work = blockWork(txs);
    let worstMs = 0;
    let worstExecMs = 0;
    for (let r = 0; r < runs; r++) {
      // As a peer that saw none of the txs: decode, body check, verify, execute, roots.
      const peer = await openApp(genesis, { pool });
      try {
        const t0 = performance.now();
        const received = decodeBlock(bytes);
        if (bodyMismatch(received) !== undefined) throw new Error("body mismatch");
        const verdict = await peer.app.validate(received);
        const ms = performance.now() - t0;
        if (!verdict.valid) throw new Error(`the block was refused: ${verdict.reason}`);
        worstMs = Math.max(worstMs, ms);
      } finally {
        await peer.close();
      }
      // The same without the verifies (signatures already seen): decode + execution + roots alone.
      const warm = await openApp(genesis, { pool });
      try {
        await warm.verifier.verifyAll(txs);
        const t0 = performance.now();
        const received = decodeBlock(bytes);
        bodyMismatch(received);
        const verdict = await warm.app.validate(received);
        const ms = performance.now() - t0;
        if (!verdict.valid) throw new Error(`the block was refused: ${verdict.reason}`);
        worstExecMs = Math.max(worstExecMs, ms);
      } finally {
        await warm.close();
      }
    }
    const n = block.txs.length;
    return {
      mix: name,
      txs: n,
      blockBytes: bytes.byteLength,
      work,
      workPerTx: Math.round(work / n),
      // Work units measured: check time per tx without verifies, in hundredths of a verify.
      measuredExecWorkPerTx: Math.round((worstExecMs / n / verifyMs) * 100),
      checkOverProposeTimeout: Number((worstMs / proposeMs).toFixed(3)),
      checkOverProposeTimeoutBudget: "< 0.333",
    };
  } finally {
    await proposer.close();
  }
}

const pool = new VerifyPool();
try {
  const verifyMs = verifyMsEach();
  const verifyUsOneCore = Number((verifyMs * 1000).toFixed(1));
  console.log(JSON.stringify({ maxBlockWork: params.maxBlockWork, proposeMs, runs, verifyUsOneCore }));
  for (const mix of values.mix.split(",")) console.log(JSON.stringify(await measureMix(mix, pool, verifyMs)));
} finally {
  await pool.close();
}
