/**
 * Search cost: the first page of tx_search over an address with 100,000 transactions, over real HTTP.
 *
 *   npx node test/bench/search-bench.ts [--txs 100000] [--per-block 1000] [--runs 20]
 *
 * Builds the chain's store directly (real LevelDB in a temp dir): one account sends --txs signed transfers,
 * --per-block to a block, each committed through ChainDb.commitBlock with the index keys a node writes
 * (state/index-terms.ts blockIndexKeys) and the results execution makes (a fee and a transfer event). Then the
 * node's own RPC server and dispatcher serve tx_search over that store, and the first page (limit 100) is
 * timed, ascending and descending, plus a page deep inside (by cursor). Each time is also given in units of
 * one ed25519 verify measured just before (test/bench/verify-rate.ts), the only figure that means anything
 * on a shared machine. Removes its temp dir on every path.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { encodeAddress } from "../../crypto/address.ts";
import { sha256 } from "../../crypto/hash.ts";
import { encodeTxResult, type TxResult } from "../../proto/records.ts";
import { decodeTx, type DecodedTx } from "../../proto/tx.ts";
import { RpcClient } from "../../rpc/client.ts";
import type { RpcContext } from "../../rpc/context.ts";
import { Dispatcher } from "../../rpc/dispatch.ts";
import { allMethods } from "../../rpc/methods/index.ts";
import { RpcServer } from "../../rpc/server.ts";
import { blockIndexKeys } from "../../state/index-terms.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";
import { measureVerifyRate } from "./verify-rate.ts";

const { values } = parseArgs({
  options: {
    "txs": { type: "string", default: "100000" },
    "per-block": { type: "string", default: "1000" },
    "runs": { type: "string", default: "20" },
  },
});
const TXS = Number(values.txs);
const PER_BLOCK = Number(values["per-block"]);
const RUNS = Number(values.runs);
const CHAIN = "opl-search-bench";

const verify = measureVerifyRate(CHAIN, 1500);
const tmp = tempDir("opl-search-bench-");
const db = await ChainDb.open(join(tmp.dir, "db"));
let server: RpcServer | undefined;
try {
  await db.writeGenesis(`${CHAIN}/genesis`, []);
  const sender = new TestAccount();
  const proposer = new TestAccount();
  const recipients = Array.from({ length: 64 }, () => new TestAccount());
  const built = Date.now();
  let height = 0;
  for (let done = 0; done < TXS;) {
    height++;
    const txs: DecodedTx[] = [];
    const results: TxResult[] = [];
    for (let i = 0; i < PER_BLOCK && done < TXS; i++, done++) {
      const to = recipients[done % recipients.length];
      const tx = decodeTx(sender.transfer(CHAIN, to.address, 1n, 1000n).bytes);
      txs.push(tx);
      results.push({
        code: 0,
        log: "",
        events: [
          {
            type: "fee",
            attributes: [
              { key: "payer", value: sender.bech32 },
              { key: "amount", value: "1000" },
              { key: "recipient", value: proposer.bech32 },
            ],
          },
          {
            type: "transfer",
            attributes: [
              { key: "sender", value: sender.bech32 },
              { key: "recipient", value: encodeAddress(to.address) },
              { key: "amount", value: "1" },
            ],
          },
        ],
      });
    }
    const block = smallBlock({ height });
    const hash = sha256(Uint8Array.of(height));
    await db.commitBlock({
      height,
      block,
      blockBytes: Uint8Array.of(height & 0xff),
      meta: { hash, commit: { height, round: 0, blockHash: hash, signatures: [] }, numTxs: txs.length },
      txs: txs.map((t, i) => ({ hash: t.hash, bytes: t.bytes, resultBytes: encodeTxResult(results[i]) })),
      writes: [],
      indexKeys: blockIndexKeys(height, txs, results, []),
    });
  }
  const buildSeconds = (Date.now() - built) / 1000;

  const context = {
    chainId: CHAIN,
    db,
    app: { indexing: true, info: () => ({ height }) },
  } as unknown as Omit<RpcContext, "request">;
  const logger = pino({ level: "silent" });
  const dispatcher = new Dispatcher({
    methods: allMethods,
    context,
    maxBatch: 100,
    maxResponseBytes: 8 * 1024 * 1024,
    maxResponseBytesInFlight: 64 * 1024 * 1024,
    maxRequestWork: 100_000,
    maxConcurrentScans: 2,
    logger,
  });
  server = new RpcServer({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1024 * 1024,
    limits: {
      maxConnections: 16,
      maxConnectionsPerIp: 16,
      headerTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
    },
    dispatcher,
    logger,
  });
  await server.listen();
  const rpc = new RpcClient(server.url);
  interface Page {
    items: { hash: string }[];
    cursor: string;
  }
  const timed = async (params: Record<string, unknown>) => {
    const ms: number[] = [];
    let page: Page | undefined;
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now();
      page = await rpc.call<Page>("tx_search", params);
      ms.push(performance.now() - t);
      if (page.items.length !== 100) throw new Error(`search-bench: a page of ${page.items.length} items`);
    }
    ms.sort((a, b) => a - b);
    return { best: ms[0], median: ms[Math.floor(ms.length / 2)], page: page as Page };
  };
  const asc = await timed({ address: sender.bech32, limit: 100 });
  const desc = await timed({ address: sender.bech32, limit: 100, order: "desc" });
  // A page deep inside: 500 pages in, by cursor.
  let cursor = asc.page.cursor;
  for (let i = 0; i < 5; i++) {
    cursor = (await rpc.call<Page>("tx_search", { address: sender.bech32, limit: 100, cursor })).cursor;
  }
  const deep = await timed({ address: sender.bech32, limit: 100, cursor });
  const inVerifies = (ms: number) => Math.round((ms * 1000) / verify.verifyUs);
  const figures = {
    txsOfAddress: TXS,
    blocks: height,
    buildSeconds,
    verifyPerSecOneCore: verify.verifyPerSecOneCore,
    verifyUs: verify.verifyUs,
    firstPageMsMedian: Number(asc.median.toFixed(2)),
    firstPageMsBest: Number(asc.best.toFixed(2)),
    firstPageInVerifiesMedian: inVerifies(asc.median),
    firstPageDescMsMedian: Number(desc.median.toFixed(2)),
    firstPageDescInVerifiesMedian: inVerifies(desc.median),
    deepPageMsMedian: Number(deep.median.toFixed(2)),
    deepPageInVerifiesMedian: inVerifies(deep.median),
  };
  console.log(
    `tx_search over an address with ${TXS} txs: first page of 100 in ${figures.firstPageMsMedian} ms median ` +
    `(${figures.firstPageInVerifiesMedian} verifies' time; one core verifies ${verify.verifyPerSecOneCore}/s), ` +
    `descending ${figures.firstPageDescMsMedian} ms, a page by cursor ${figures.deepPageMsMedian} ms`,
  );
  console.log(JSON.stringify(figures));
} finally {
  await server?.close();
  await db.close();
  tmp.cleanup();
}
