/**
 * The search index's cost per committed transfer, alone: building its keys (state/index-terms.ts
 * blockIndexKeys) and writing them in the block's LevelDB batch (ChainDb.commitBlock), each in multiples of
 * one ed25519 verify's CPU time measured in the same run. The whole-stage figures of node-cpu.ts carry
 * the noise of every other stage; this isolates the part the index adds to a commit.
 *
 *   npx node test/bench/index-cost.ts [--per-block 2500] [--senders 32] [--recipients 1] [--runs 7]
 *
 * Blocks of --per-block transfers from --senders accounts to --recipients accounts (the defaults are the
 * single-validator bench's: 32 senders, one recipient; --recipients 0 sends each transfer to a new address),
 * with the events execution gives a transfer (a fee and a transfer event). Each run commits one block twice to
 * a real LevelDB in a temp dir: with its index keys and without (the difference is the batch's cost of the
 * keys). CPU is process.cpuUsage (every thread: LevelDB's included); each figure is the least over --runs
 * (load from other processes only adds), then the median. Removes its temp dir.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeAddress } from "../../crypto/address.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { TxResult } from "../../proto/records.ts";
import { decodeTx, type DecodedTx } from "../../proto/tx.ts";
import { blockIndexKeys } from "../../state/index-terms.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";
import { cpuUs, verifyCpuUs } from "./verify-cpu.ts";

const { values } = parseArgs({
  options: {
    "per-block": { type: "string", default: "2500" },
    "senders": { type: "string", default: "32" },
    "recipients": { type: "string", default: "1" },
    "runs": { type: "string", default: "7" },
  },
});
const PER_BLOCK = Number(values["per-block"]);
const SENDERS = Number(values.senders);
const RECIPIENTS = Number(values.recipients);
const RUNS = Number(values.runs);
const CHAIN = "opl-index-cost";

async function cpuUsAsync(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

function transferBlock(senders: TestAccount[], recipients: TestAccount[], proposer: TestAccount) {
  const txs: DecodedTx[] = [];
  const results: TxResult[] = [];
  for (let i = 0; i < PER_BLOCK; i++) {
    const from = senders[i % senders.length];
    const to = recipients.length > 0 ? recipients[i % recipients.length].address : new TestAccount().address;
    txs.push(decodeTx(from.transfer(CHAIN, to, 1n, 1000n).bytes));
    results.push({
      code: 0,
      log: "",
      events: [
        {
          type: "fee",
          attributes: [
            { key: "payer", value: from.bech32 },
            { key: "amount", value: "1000" },
            { key: "recipient", value: proposer.bech32 },
          ],
        },
        {
          type: "transfer",
          attributes: [
            { key: "sender", value: from.bech32 },
            { key: "recipient", value: encodeAddress(to) },
            { key: "amount", value: "1" },
          ],
        },
      ],
    });
  }
  return { txs, results };
}

const verifyUs = verifyCpuUs(CHAIN);
const tmp = tempDir("opl-index-cost-");
const db = await ChainDb.open(join(tmp.dir, "db"));
try {
  await db.writeGenesis(`${CHAIN}/genesis`, []);
  const senders = Array.from({ length: SENDERS }, () => new TestAccount());
  const recipients = Array.from({ length: RECIPIENTS }, () => new TestAccount());
  const proposer = new TestAccount();
  let height = 0;
  const commit = (keys: Uint8Array[] | undefined) => {
    height++;
    const hash = sha256(Uint8Array.of(height & 0xff, height >> 8));
    return db.commitBlock({
      height,
      block: smallBlock({ height }),
      blockBytes: Uint8Array.of(height & 0xff),
      meta: { hash, commit: { height, round: 0, blockHash: hash, signatures: [] }, numTxs: 0 },
      txs: [],
      writes: [],
      indexKeys: keys,
    });
  };
  const build: number[] = [];
  const write: number[] = [];
  let keyCount = 0;
  let keyBytes = 0;
  for (let run = -1; run < RUNS; run++) {
    const { txs, results } = transferBlock(senders, recipients, proposer);
    let keys: Uint8Array[] = [];
    const buildUs = cpuUs(() => (keys = blockIndexKeys(height + 1, txs, results, [])));
    const withKeys = await cpuUsAsync(() => commit(keys));
    const without = await cpuUsAsync(() => commit(undefined));
    if (run < 0) continue; // warm-up
    build.push(buildUs / PER_BLOCK);
    write.push((withKeys - without) / PER_BLOCK);
    keyCount = keys.length;
    keyBytes = keys.reduce((n, k) => n + k.byteLength, 0);
  }
  const least = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const v = (us: number) => (us / verifyUs).toFixed(3);
  console.log(`one verify ${verifyUs.toFixed(1)} us of CPU (this run)`);
  console.log(
    `${PER_BLOCK} transfers per block from ${SENDERS} senders to ${RECIPIENTS || "new"} recipient(s): ` +
    `${(keyCount / PER_BLOCK).toFixed(2)} index keys per tx, ${(keyBytes / keyCount).toFixed(1)} bytes each`,
  );
  console.log(
    `index CPU per tx, in verifies (least of ${RUNS}): keys built ${v(least(build))}, written ` +
    `${v(least(write))}, total ${v(least(build) + least(write))}; medians: built ${v(median(build))}, written ` +
    `${v(median(write))}, total ${v(median(build) + median(write))}`,
  );
} finally {
  await db.close();
  tmp.cleanup();
}
