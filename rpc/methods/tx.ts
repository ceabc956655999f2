import { z } from "zod";
import { fromBase64, fromHex, toHex } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import { appError, INVALID_PARAMS, RpcError } from "../errors.ts";
import { method } from "../method.ts";
import { hashSchema } from "../schemas.ts";
import { resultView, txBodyView } from "../views.ts";

export const txMethods = [
  method({
    name: "tx_submit",
    description: "Submits a signed transaction (base64). Answers with its hash once the mempool admitted it.",
    params: z.strictObject({ tx: z.string({ error: "tx must be a base64 string" }).min(1, "tx is empty") }),
    handler: async (p, ctx) => {
      const bytes = fromBase64(p.tx);
      if (bytes === undefined)
        throw new RpcError(INVALID_PARAMS, "tx must be standard base64 (A-Z a-z 0-9 + / =)");
      const tx = await ctx.mempool.add(bytes);
      return { hash: toHex(tx.hash) };
    },
  }),
  method({
    name: "tx_get",
    description: "An included transaction by hash: where it is, what it said, what it did.",
    params: z.strictObject({ hash: hashSchema }),
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
        result: resultView(record.result),
      };
    },
  }),
];
