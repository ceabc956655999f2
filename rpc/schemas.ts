import { z } from "zod";
import { isAddress } from "../crypto/address.ts";

/** Shared param schemas. Messages are what a person sees in a -32602 error. */
export const heightSchema = z
  .number({ error: "height must be a number" })
  .int("height must be an integer")
  .min(0, "height must be >= 0")
  .max(Number.MAX_SAFE_INTEGER, "height is too large");

// The length first, aborting (zod runs every check unless one aborts): the pattern never reads a long text.
export const hashSchema = z
  .string({ error: "hash must be a string" })
  .max(64, { abort: true, error: "hash must be 64 lowercase hex characters" })
  .regex(/^[0-9a-f]{64}$/, "hash must be 64 lowercase hex characters");

export const addressSchema = z
  .string({ error: "address must be a string" })
  .refine(isAddress, "address must be a bech32 address with prefix opl (opl1...)");

export const noParams = z.strictObject({});

/**
 * Shared result pieces: the JSON conventions of every answer (docs/client-formats.md), as schemas the
 * results are checked against and documented by (rpc_discover). Patterns, not refinements, so that they show
 * in the JSON Schema.
 */
export const hashHex = z.string().regex(/^[0-9a-f]{64}$/).describe("32 bytes, lowercase hex");
export const bytesHex = z.string().regex(/^([0-9a-f]{2})*$/).describe("bytes, lowercase hex");
export const base64Bytes = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).describe("bytes, standard base64");
export const addressOut = z.string().regex(/^opl1[02-9ac-hj-np-z]{38}$/).describe("a bech32 address (opl1...)");
export const amountOut = z.string().regex(/^(0|[1-9][0-9]*)$/).describe("an amount in base units (1 OPEN = 10^18), decimal");
export const heightOut = z.number().int().min(0).describe("a block height");
export const countOut = z.number().int().min(0);
export const idOut = z.number().int().min(0).describe("an id (ids start at 1; 0: none)");
export const isoTimeOut = z.iso.datetime().describe("ISO 8601 UTC");

/** A page of a list method: its items, the cursor of the next page (null on the last), the height read. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.strictObject({
    items: z.array(item),
    nextCursor: bytesHex.nullable().describe("pass as cursor for the next page; null on the last page"),
    height: heightOut,
  });
}
