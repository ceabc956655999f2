import { z } from "zod";
import {
  addressOut,
  amountOut,
  base64Bytes,
  bytesHex,
  countOut,
  hashHex,
  heightOut,
  isoTimeOut,
} from "./schemas.ts";

/** Result schemas of the chain's JSON shapes (rpc/views.ts makes them): headers, commits, txs, events, proofs. */

export const commitOut = z.strictObject({
  height: heightOut,
  round: countOut,
  blockHash: hashHex,
  signatures: z.array(z.strictObject({ validator: addressOut, time: isoTimeOut, signature: base64Bytes })),
});

/** An equivocation a block commits: a validator's two signed votes for one height, round and step. */
export const evidenceOut = z.strictObject({
  validator: addressOut,
  height: heightOut,
  round: countOut,
  type: z.enum(["prevote", "precommit"]),
  blockHashes: z
    .tuple([hashHex.nullable(), hashHex.nullable()])
    .describe("the two votes' block hashes, in the evidence's canonical order; null: a vote for nil"),
});

export const headerOut = z.strictObject({
  chainId: z.string(),
  height: heightOut,
  time: isoTimeOut,
  lastBlockHash: bytesHex,
  lastCommitHash: bytesHex,
  txsRoot: hashHex,
  stateRoot: hashHex,
  resultsRoot: hashHex,
  validatorsHash: hashHex,
  nextValidatorsHash: hashHex,
  proposer: addressOut,
  evidenceRoot: hashHex,
});

export const validatorSetOut = z.array(z.strictObject({ address: addressOut, pubkey: hashHex, power: countOut }));

export const eventOut = z.strictObject({ type: z.string(), attributes: z.record(z.string(), z.string()) });

/**
 * A message as JSON (rpc/views.ts msgView): its `type` and that message's fields, amounts decimal strings,
 * 20-byte values addresses, other bytes hex. Its fields are each message type's (proto/*-msgs.ts), so past
 * `type` this schema does not list them.
 */
export const msgOut = z.looseObject({ type: z.string() });

export const txBodyOut = z.strictObject({
  chainId: z.string(),
  sender: addressOut,
  senderPubKey: base64Bytes,
  nonce: countOut,
  fee: amountOut,
  msg: msgOut,
});

export const resultOut = z.strictObject({ code: countOut, log: z.string(), events: z.array(eventOut) });

/** A committed tx as tx_search, chain_getBlockResults and chain_getBlock (txs: "full") show it. */
export const txItemOut = z.strictObject({
  kind: z.literal("tx"),
  height: heightOut,
  index: countOut,
  hash: hashHex,
  tx: txBodyOut,
  raw: base64Bytes.describe("the signed tx as committed; sha256 of it is hash"),
  result: resultOut,
});

/** A block's own events (slashes, jails, unbondings, expired inferences, set changes) as a search item. */
export const blockEventsItemOut = z.strictObject({ kind: z.literal("block"), height: heightOut, events: z.array(eventOut) });

/** The state_getProof answer (rpc/state-proof-answer.ts), also `proof` of a get method asked prove: true. */
export const stateProofOut = z.strictObject({
  height: heightOut,
  key: bytesHex.describe("the state key"),
  // The record as its get method shows it (a raw key's value as hex): the shape depends on the key's kind.
  // Not z.json(): that recursive schema becomes a $ref to a local definition, which OpenRPC tools resolve
  // against the whole document, where it is not.
  value: z.unknown().describe("the record as its get method shows it, a raw key's value as hex, or null"),
  valueBytes: bytesHex.nullable(),
  proof: z.strictObject({
    siblings: z.array(hashHex),
    leaf: z.strictObject({ path: hashHex, valueHash: hashHex }).nullable(),
  }),
  stateRoot: hashHex,
  header: headerOut,
  headerHash: hashHex,
  commit: commitOut.nullable(),
  committedBy: z.string(),
});

/** `prove: true`'s addition to a get method's answer. */
export const proofField = { proof: stateProofOut.optional() };
