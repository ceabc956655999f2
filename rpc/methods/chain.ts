import { z } from "zod";
import { fromHex, toHex } from "../../crypto/bytes.ts";
import { blockTxHashes } from "../../proto/block.ts";
import { MAX_BLOCK_TX_PAGE, txLimitSchema, txOffsetSchema } from "../block-tx-page.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { blockTxItems } from "./search.ts";
import { countOut, hashHex, hashSchema, heightSchema } from "../schemas.ts";
import { commitOut, eventOut, evidenceOut, headerOut, txItemOut } from "../result-schemas.ts";
import { commitView, evidenceView, headerView, resultView } from "../views.ts";
import { chargeBlockRead } from "../block-read-charge.ts";

const getBlockParams = z
  .strictObject({
    height: heightSchema.min(1, "height must be >= 1").optional(),
    hash: hashSchema.optional(),
    /**
     * "hashes" (default): the txs' hashes; "full": each tx with its raw bytes (base64) and result; "none": no
     * txs, only `numTxs` (a header and a count cost the same for a block of 20,000 txs as for an empty one).
     */
    txs: z.enum(["none", "hashes", "full"]).default("hashes"),
    /** The txs from this index on (a block too big for one answer is read page by page). */
    txOffset: txOffsetSchema,
    /** At most this many txs (MAX_BLOCK_TX_PAGE at most; "full" without it: that many). */
    txLimit: txLimitSchema,
  })
  .refine((p) => (p.height === undefined) !== (p.hash === undefined), "give exactly one of height or hash");

export const chainMethods = [
  method({
    name: "chain_getBlock",
    description:
      `A committed block by height or hash (txLimit: at most ${MAX_BLOCK_TX_PAGE.toLocaleString("en-US")} txs a page): ` +
      "header, transaction count and hashes (txs: \"full\": each tx with its raw bytes and " +
      "result; \"none\": the count only; txOffset/txLimit: a page of them), last commit and its own commit, the " +
      "evidence it commits, and its own events (slashes, jails, completed unbondings, expired inferences). " +
      "txs: \"full\" without txLimit gives that many (the hashes alone come all at once); a bigger block is read page " +
      "by page with txOffset.",
    params: getBlockParams,
    result: z.strictObject({
      hash: hashHex,
      header: headerOut,
      numTxs: countOut.describe("the block's transaction count, whatever txs, txOffset and txLimit select"),
      txs: z.union([z.array(hashHex), z.array(txItemOut)])
        .describe("hashes; with txs: \"full\", each tx with its result; \"none\": empty; txOffset/txLimit: that slice"),
      lastCommit: commitOut.nullable(),
      commit: commitOut.nullable(),
      events: z.array(eventOut),
      evidence: z.array(evidenceOut),
    }),
    handler: async (p, ctx) => {
      let height = p.height;
      if (p.hash !== undefined) {
        height = await ctx.db.heightOfBlock(fromHex(p.hash) as Uint8Array);
        if (height === undefined) throw appError("BLOCK_NOT_FOUND", `no block with hash ${p.hash}`);
      }
      const h = height as number;
      const latest = ctx.app.info().height;
      if (h > latest) {
        throw appError("BLOCK_NOT_FOUND", `block ${h} does not exist yet; the latest height is ${latest}`, {
          latest,
        });
      }
      await chargeBlockRead(ctx, h); // read, checked against its header and decoded whole, whatever txs asks
      const [block, meta, blockEvents] = await Promise.all([
        ctx.db.getBlock(h),
        ctx.db.getBlockMeta(h),
        ctx.db.getBlockEvents(h),
      ]);
      if (block === undefined || meta === undefined)
        throw appError("BLOCK_NOT_FOUND", `block ${h} is not stored here`);
      // Hashed once per block object, when the read checked the body against the txs root.
      const all = blockTxHashes(block);
      const offset = p.txOffset ?? 0;
      // Each tx in full is a read of the store: a page of them. The hashes alone are in hand already.
      const limit = p.txLimit ?? (p.txs === "full" ? MAX_BLOCK_TX_PAGE : undefined);
      const hashes = p.txs === "none" ? [] : all.slice(offset, limit === undefined ? undefined : offset + limit);
      return {
        hash: toHex(meta.hash),
        header: headerView(block),
        numTxs: all.length,
        txs: p.txs === "full" ? await blockTxItems(ctx, h, hashes) : hashes.map(toHex),
        lastCommit: commitView(block.lastCommit),
        commit: commitView(meta.commit),
        // What the block's own steps did: slashes, jails, completed unbondings, expired inferences, set changes.
        events: resultView({ code: 0, log: "", events: blockEvents }).events,
        // Equivocations this block commits (each slashes its validator once).
        evidence: block.evidence.map(evidenceView),
      };
    },
  }),
];
