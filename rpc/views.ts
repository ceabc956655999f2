import { ADDRESS_LENGTH, encodeAddress } from "../crypto/address.ts";
import { toBase64, toHex } from "../crypto/bytes.ts";
import type { Block, Commit, Header, Validator } from "../proto/block.ts";
import { type DuplicateVoteEvidence, PRECOMMIT } from "../proto/consensus.ts";
import type { TxResult } from "../proto/records.ts";
import type { TxBody, TxMsg } from "../proto/tx.ts";

/** JSON shapes of chain objects: hashes lowercase hex, addresses bech32, amounts decimal strings. */

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * An equivocation as chain_getBlock shows it. A vote for nil has an empty block hash: shown as null (as a
 * hash it failed the result's schema, and the whole block could not be read).
 */
export function evidenceView(e: DuplicateVoteEvidence) {
  const hash = (h: Uint8Array) => (h.byteLength === 0 ? null : toHex(h));
  return {
    validator: encodeAddress(e.voteA.vote.validatorAddress),
    height: e.voteA.vote.height,
    round: e.voteA.vote.round,
    type: e.voteA.vote.type === PRECOMMIT ? ("precommit" as const) : ("prevote" as const),
    blockHashes: [hash(e.voteA.vote.blockHash), hash(e.voteB.vote.blockHash)] as [string | null, string | null],
  };
}

export function commitView(c: Commit | undefined) {
  if (c === undefined) return null;
  return {
    height: c.height,
    round: c.round,
    blockHash: toHex(c.blockHash),
    signatures: c.signatures.map((s) => ({
      validator: encodeAddress(s.validatorAddress),
      time: isoTime(s.timeMs),
      signature: toBase64(s.signature),
    })),
  };
}

export function headerView(b: Block) {
  return headerFieldsView(b.header);
}

export function headerFieldsView(h: Header) {
  return {
    chainId: h.chainId,
    height: h.height,
    time: isoTime(h.timeMs),
    lastBlockHash: toHex(h.lastBlockHash),
    lastCommitHash: toHex(h.lastCommitHash),
    txsRoot: toHex(h.txsRoot),
    stateRoot: toHex(h.stateRoot),
    resultsRoot: toHex(h.resultsRoot),
    validatorsHash: toHex(h.validatorsHash),
    nextValidatorsHash: toHex(h.nextValidatorsHash),
    proposer: encodeAddress(h.proposerAddress),
    evidenceRoot: toHex(h.evidenceRoot),
  };
}

/** A validator set as light_getBlock gives it: consensus addresses, ed25519 public keys as hex, powers. */
export function validatorSetView(validators: readonly Validator[]) {
  return validators.map((v) => ({ address: encodeAddress(v.address), pubkey: toHex(v.pubkey), power: v.power }));
}

export function txBodyView(body: TxBody, sender: Uint8Array) {
  const msg = body.msg;
  return {
    chainId: body.chainId,
    sender: encodeAddress(sender),
    senderPubKey: toBase64(body.senderPubkey),
    nonce: body.nonce,
    fee: body.fee.toString(),
    msg: msgView(msg),
  };
}

/**
 * A message as JSON: bigint amounts as decimal strings, 20-byte values as bech32 addresses, other bytes as
 * hex (hashes, keys). Generic, so every module message gets the same conventions.
 */
export function msgView(msg: TxMsg): Record<string, unknown> {
  return jsonValue(msg) as Record<string, unknown>;
}

export function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return v.byteLength === ADDRESS_LENGTH ? encodeAddress(v) : toHex(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  }
  return v;
}

export function resultView(r: TxResult) {
  return {
    code: r.code,
    log: r.log,
    events: r.events.map((e) => ({
      type: e.type,
      attributes: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])),
    })),
  };
}
