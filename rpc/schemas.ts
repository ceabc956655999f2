import { z } from "zod";
import { isAddress } from "../crypto/address.ts";

/** Shared param schemas. Messages are what a person sees in a -32602 error. */
export const heightSchema = z
  .number({ error: "height must be a number" })
  .int("height must be an integer")
  .min(0, "height must be >= 0")
  .max(Number.MAX_SAFE_INTEGER, "height is too large");

export const hashSchema = z
  .string({ error: "hash must be a string" })
  .regex(/^[0-9a-f]{64}$/, "hash must be 64 lowercase hex characters");

export const addressSchema = z
  .string({ error: "address must be a string" })
  .refine(isAddress, "address must be a bech32 address with prefix opl (opl1...)");

export const noParams = z.strictObject({});
