import { z } from "zod";
import { fromBase64, fromHex, toBase64 } from "../../crypto/bytes.ts";
import { type DecodedTx, decodeTx } from "../../proto/tx.ts";
import { txErrorName } from "../../state/errors.ts";
import type { RpcContext } from "../context.ts";
import { appError, INVALID_PARAMS, RpcError } from "../errors.ts";
import { method } from "../method.ts";
import { base64Bytes, countOut, hashHex, hashSchema, heightOut } from "../schemas.ts";
import { eventOut, resultOut, txBodyOut } from "../result-schemas.ts";
import { reasonOf, simulateTx } from "../tx-simulation.ts";
import { resultView, txBodyView } from "../views.ts";

/** tx_getStatus's answer for a tx the chain holds, or undefined. */
async function includedStatus(hex: string, hash: Uint8Array, ctx: RpcContext) {
  const record = await ctx.db.getTx(hash);
  if (record === undefined) return undefined;
  const { code } = record.result;
  const reason = code === 0 ? "OK" : (txErrorName(code) ?? `CODE_${code}`);
  return { hash: hex, status: "included" as const, height: record.height, index: record.index, code, reason };
}

/** tx_getStatus's answer, by status. */
const txStatusOut = z.discriminatedUnion("status", [
  z.strictObject({
    hash: hashHex,
    status: z.literal("included"),
    height: heightOut,
    index: countOut,
    code: countOut,
    reason: z.string(),
  }),
  z.strictObject({
    hash: hashHex,
    status: z.literal("pending"),
    reason: z.enum(["NONCE_GAP", "CHECKING", "QUEUED"]),
    message: z.string(),
  }),
  z.strictObject({
    hash: hashHex,
    status: z.enum(["rejected", "evicted"]),
    reason: z.string(),
    message: z.string(),
    height: heightOut,
    replacedBy: hashHex.optional(),
  }),
  z.strictObject({ hash: hashHex, status: z.literal("unknown") }),
]);

/** tx_submit's answer: the tx's hex hash, made once by decodeTx. */
function hashAnswer(tx: DecodedTx): { hash: string } {
  return { hash: tx.id };
}

export const txMethods = [
  method({
    name: "tx_submit",
    description: "Submits a signed transaction (base64). Answers with its hash once the mempool admitted it.",
    params: z.strictObject({ tx: z.string({ error: "tx must be a base64 string" }).min(1, "tx is empty") }),
    result: z.strictObject({ hash: hashHex }),
    waitsInOwnQueue: true, // the mempool's admission queue bounds what a batch of them holds
    // Not an async function: the admission's own promise, mapped to the answer (one frame fewer per tx).
    handler: (p, ctx) => {
      const bytes = fromBase64(p.tx);
      if (bytes === undefined)
        throw new RpcError(INVALID_PARAMS, "tx must be standard base64 (A-Z a-z 0-9 + / =)");
      return ctx.mempool.add(bytes).then(hashAnswer);
    },
  }),
  method({
    name: "tx_simulate",
    description:
      "Runs a signed transaction (base64, as tx_submit takes) against the latest state without submitting it: " +
      "nothing written, no fee charged, no block. Refused as tx_submit refuses (size, decoding, chain id, fee " +
      "floor, signature); otherwise answers { hash, height, includable, code, reason, log, events }: includable " +
      "false (no events) when its nonce or fee would keep it out of a block. The fee event names the next " +
      "height's first validator as the recipient (a stand-in for the proposer).",
    params: z.strictObject({ tx: z.string({ error: "tx must be a base64 string" }).min(1, "tx is empty") }),
    result: z.strictObject({
      hash: hashHex,
      height: heightOut.describe("the next block's, which would run it"),
      includable: z.boolean(),
      code: countOut,
      reason: z.string(),
      log: z.string(),
      events: z.array(eventOut),
    }),
    handler: async (p, ctx) => {
      const bytes = fromBase64(p.tx);
      if (bytes === undefined)
        throw new RpcError(INVALID_PARAMS, "tx must be standard base64 (A-Z a-z 0-9 + / =)");
      return simulateTx(bytes, ctx);
    },
  }),
  method({
    name: "tx_getStatus",
    description:
      "What became of a transaction: pending (and why it waits: NONCE_GAP, CHECKING, QUEUED), included (height, " +
      "index, code and its reason name), rejected (a block made it invalid after admission: why), evicted (TTL, " +
      "REPLACED by a tx paying more for its nonce: replacedBy names it, or MEMPOOL_FULL: a tx paying more per byte took its room), " +
      "or unknown. Fates of txs that left the mempool are remembered for a bounded time and count.",
    params: z.strictObject({ hash: hashSchema }),
    result: txStatusOut,
    handler: async (p, ctx) => {
      const hash = fromHex(p.hash) as Uint8Array;
      const included = await includedStatus(p.hash, hash, ctx);
      if (included !== undefined) return included;
      const pending = ctx.mempool.pendingReason(p.hash);
      if (pending !== undefined) return { hash: p.hash, status: "pending", ...pending };
      const fate = ctx.txFates.get(p.hash);
      if (fate !== undefined) {
        const { status, reason, message, height, replacedBy } = fate;
        return { hash: p.hash, status, reason, message, height, ...(replacedBy === undefined ? {} : { replacedBy }) };
      }
      // Committed while the chain was read: a block's batch is on disk before the mempool lets its txs go
      // (ChainApp.commit), so a tx that was neither found nor pending above is found now if it was included.
      return (await includedStatus(p.hash, hash, ctx)) ?? { hash: p.hash, status: "unknown" };
    },
  }),
  method({
    name: "tx_get",
    description: "An included transaction by hash: where it is, what it said, what it did.",
    params: z.strictObject({ hash: hashSchema }),
    result: z.strictObject({
      hash: hashHex,
      height: heightOut,
      index: countOut,
      tx: txBodyOut,
      raw: base64Bytes.describe("the signed tx as committed; sha256 of it is hash"),
      result: resultOut.extend({ reason: z.string().describe("the code's name: OK, or the TxError name") }),
    }),
    handler: async (p, ctx) => {
      const record = await ctx.db.getTx(fromHex(p.hash) as Uint8Array);
      if (record === undefined) {
        const pending = ctx.mempool.has(p.hash);
        throw appError(
          "TX_NOT_FOUND",
          pending
            ? `transaction ${p.hash} is pending in the mempool, not yet included`
            : `transaction ${p.hash} is not included (never submitted, dropped, or not yet seen by this node)`,
          { pending },
        );
      }
      const tx = decodeTx(record.tx);
      return {
        hash: p.hash,
        height: record.height,
        index: record.index,
        tx: txBodyView(tx.body, tx.sender),
        // The signed tx as committed: sha256 of these bytes is the hash, and the signature verifies over them.
        raw: toBase64(record.tx),
        // reason: the code's stable name ("OK", NOT_FOUND, ...), so a reader need not look the number up.
        result: { ...resultView(record.result), reason: reasonOf(record.result.code) },
      };
    },
  }),
];
