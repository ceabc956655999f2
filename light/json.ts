import { bech32Decode } from "./bech32.ts";
import { equalBytes, fromBase64, fromHex, toHex } from "./bytes.ts";
import { headerHash } from "./encoding.ts";
import { refuse } from "./errors.ts";
import { MAX_VALIDATORS } from "./limits.ts";
import {
  ADDRESS_LENGTH,
  type Commit,
  type CommitSig,
  HASH_LENGTH,
  type Header,
  type LightBlock,
  PUBLIC_KEY_LENGTH,
  SIGNATURE_LENGTH,
  type StateProof,
  type Validator,
} from "./types.ts";

/**
 * Strict decoding of the node's JSON-RPC answers into the light client's types (proof-contract.md): hex is
 * lowercase and of the exact length, addresses are `opl1...` bech32, times are the ISO form the node
 * writes, integers are safe, and an object with a field the node does not write is refused (each of these
 * objects is hashed or signed whole: an unknown field means this library and the node disagree).
 */

export const ADDRESS_PREFIX = "opl";
const MAX_UINT32 = 0xffffffff;

type Json = Record<string, unknown>;

function object(value: unknown, what: string, fields?: readonly string[]): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse("MALFORMED", `${what} must be an object, got ${describe(value)}`);
  }
  if (fields !== undefined) {
    for (const k of Object.keys(value)) {
      if (!fields.includes(k)) refuse("MALFORMED", `${what} has an unexpected field "${k}" (expected ${fields.join(", ")})`);
    }
  }
  return value as Json;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string "${value.length > 80 ? `${value.slice(0, 80)}...` : value}"`;
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function array(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(value)) refuse("MALFORMED", `${what} must be an array, got ${describe(value)}`);
  if (value.length > max) refuse("MALFORMED", `${what} holds ${value.length} entries; at most ${max} are accepted`);
  return value;
}

function uint(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    refuse("MALFORMED", `${what} must be an integer from 0 to ${max}, got ${describe(value)}`);
  }
  return value;
}

function string(value: unknown, what: string): string {
  if (typeof value !== "string") refuse("MALFORMED", `${what} must be a string, got ${describe(value)}`);
  return value;
}

/** Lowercase hex of exactly `length` bytes (any length if undefined); `allowEmpty` also takes "". */
export function hexField(value: unknown, what: string, length?: number, allowEmpty = false): Uint8Array {
  const text = string(value, what);
  const bytes = fromHex(text);
  if (bytes === undefined) refuse("MALFORMED", `${what} must be lowercase hex, got ${describe(value)}`);
  if (allowEmpty && bytes.length === 0) return bytes;
  if (length !== undefined && bytes.length !== length) {
    refuse("MALFORMED", `${what} must be ${length} bytes (${2 * length} hex digits), got ${bytes.length}`);
  }
  return bytes;
}

export function addressField(value: unknown, what: string): Uint8Array {
  const text = string(value, what);
  const bytes = bech32Decode(text, ADDRESS_PREFIX);
  if (typeof bytes === "string") refuse("MALFORMED", `${what} "${text}" is not an address: ${bytes}`);
  if (bytes.length !== ADDRESS_LENGTH) refuse("MALFORMED", `${what} must be ${ADDRESS_LENGTH} bytes, got ${bytes.length}`);
  return bytes;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The node's time text (Date#toISOString of milliseconds since the epoch) back to the milliseconds. */
export function timeField(value: unknown, what: string): number {
  const text = string(value, what);
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0 || new Date(ms).toISOString() !== text) {
    refuse("MALFORMED", `${what} must be a time like 2026-01-02T03:04:05.678Z, got ${describe(value)}`);
  }
  return ms;
}

/** A commit signature: base64 as chain_getBlock writes it, or 128 hex digits (the contract's byte form). */
function signatureField(value: unknown, what: string): Uint8Array {
  const text = string(value, what);
  const bytes = text.length === 2 * SIGNATURE_LENGTH ? fromHex(text) : fromBase64(text);
  if (bytes === undefined || bytes.length !== SIGNATURE_LENGTH) {
    refuse("MALFORMED", `${what} must be a ${SIGNATURE_LENGTH}-byte signature in base64, got ${describe(value)}`);
  }
  return bytes;
}

const CHAIN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const HEADER_FIELDS = [
  "chainId", "height", "time", "lastBlockHash", "lastCommitHash", "txsRoot", "stateRoot", "resultsRoot",
  "validatorsHash", "nextValidatorsHash", "proposer", "evidenceRoot",
] as const;

/** A header as chain_getBlock writes it. */
export function decodeHeaderJson(value: unknown, what = "header"): Header {
  const j = object(value, what, HEADER_FIELDS);
  const chainId = string(j.chainId, `${what}.chainId`);
  if (!CHAIN_ID.test(chainId)) refuse("MALFORMED", `${what}.chainId "${chainId}" is not a valid chain id`);
  const hash = (field: string, allowEmpty = false) => hexField(j[field], `${what}.${field}`, HASH_LENGTH, allowEmpty);
  return {
    chainId,
    height: uint(j.height, `${what}.height`),
    timeMs: timeField(j.time, `${what}.time`),
    lastBlockHash: hash("lastBlockHash", true),
    lastCommitHash: hash("lastCommitHash"),
    txsRoot: hash("txsRoot"),
    stateRoot: hash("stateRoot"),
    resultsRoot: hash("resultsRoot"),
    validatorsHash: hash("validatorsHash"),
    nextValidatorsHash: hash("nextValidatorsHash"),
    proposerAddress: addressField(j.proposer, `${what}.proposer`),
    evidenceRoot: hash("evidenceRoot"),
  };
}

/** A commit as chain_getBlock writes it. */
export function decodeCommitJson(value: unknown, what = "commit"): Commit {
  const j = object(value, what, ["height", "round", "blockHash", "signatures"]);
  const signatures = array(j.signatures, `${what}.signatures`, MAX_VALIDATORS).map((s, i): CommitSig => {
    const at = `${what}.signatures[${i}]`;
    const sig = object(s, at, ["validator", "time", "signature"]);
    return {
      validatorAddress: addressField(sig.validator, `${at}.validator`),
      timeMs: timeField(sig.time, `${at}.time`),
      signature: signatureField(sig.signature, `${at}.signature`),
    };
  });
  return {
    height: uint(j.height, `${what}.height`),
    round: uint(j.round, `${what}.round`, MAX_UINT32),
    blockHash: hexField(j.blockHash, `${what}.blockHash`, HASH_LENGTH),
    signatures,
  };
}

export function decodeValidatorsJson(value: unknown, what = "validators"): Validator[] {
  return array(value, what, MAX_VALIDATORS).map((v, i) => {
    const at = `${what}[${i}]`;
    const j = object(v, at, ["address", "pubkey", "power"]);
    return {
      address: addressField(j.address, `${at}.address`),
      pubkey: hexField(j.pubkey, `${at}.pubkey`, PUBLIC_KEY_LENGTH),
      power: uint(j.power, `${at}.power`),
    };
  });
}

/** Checks that `header` hashes to the `headerHash` the answer gave beside it (a node that lies is caught). */
function checkHeaderHash(header: Header, value: unknown, what: string): Uint8Array {
  const given = hexField(value, what, HASH_LENGTH);
  const computed = headerHash(header);
  if (!equalBytes(given, computed)) {
    refuse("HASH_MISMATCH", `${what} is ${toHex(given)}, but the header hashes to ${toHex(computed)}`);
  }
  return computed;
}

/** A `light_getBlock` answer. Its headerHash must be the header's hash; nothing else is trusted yet. */
export function decodeLightBlockJson(value: unknown, what = "light block"): LightBlock {
  const j = object(value, what);
  const header = decodeHeaderJson(j.header, `${what}.header`);
  checkHeaderHash(header, j.headerHash, `${what}.headerHash`);
  return {
    header,
    commit: decodeCommitJson(j.commit, `${what}.commit`),
    validators: decodeValidatorsJson(j.validators, `${what}.validators`),
    nextValidators: decodeValidatorsJson(j.nextValidators, `${what}.nextValidators`),
  };
}

export function decodeStateProofJson(value: unknown, what = "proof"): StateProof {
  const j = object(value, what, ["siblings", "leaf"]);
  const siblings = array(j.siblings, `${what}.siblings`).map((s, i) => hexField(s, `${what}.siblings[${i}]`, HASH_LENGTH));
  if (j.leaf === null || j.leaf === undefined) return { siblings };
  const leaf = object(j.leaf, `${what}.leaf`, ["path", "valueHash"]);
  return {
    siblings,
    leaf: {
      path: hexField(leaf.path, `${what}.leaf.path`, HASH_LENGTH),
      valueHash: hexField(leaf.valueHash, `${what}.leaf.valueHash`, HASH_LENGTH),
    },
  };
}

/** A `state_getProof` answer (or the `proof` field a get method adds with `prove: true`). */
export interface StateProofAnswer {
  height: number;
  /** The raw state key. */
  key: Uint8Array;
  /** The record as the node decoded it: shown to people, NOT verified (valueBytes is). */
  value: unknown;
  /** The raw value, undefined when the node says the key is absent. */
  valueBytes: Uint8Array | undefined;
  proof: StateProof;
  stateRoot: Uint8Array;
  header: Header;
  headerHash: Uint8Array;
  commit: Commit;
}

export function decodeStateProofAnswerJson(value: unknown, what = "state proof answer"): StateProofAnswer {
  const j = object(value, what);
  const header = decodeHeaderJson(j.header, `${what}.header`);
  const height = uint(j.height, `${what}.height`);
  const valueBytes = j.valueBytes === null ? undefined : hexField(j.valueBytes, `${what}.valueBytes`);
  if (j.value === undefined) refuse("MALFORMED", `${what}.value is missing (null for an absent key)`);
  return {
    height,
    key: hexField(j.key, `${what}.key`),
    value: j.value,
    valueBytes,
    proof: decodeStateProofJson(j.proof, `${what}.proof`),
    stateRoot: hexField(j.stateRoot, `${what}.stateRoot`, HASH_LENGTH),
    header,
    headerHash: checkHeaderHash(header, j.headerHash, `${what}.headerHash`),
    commit: decodeCommitJson(j.commit, `${what}.commit`),
  };
}
