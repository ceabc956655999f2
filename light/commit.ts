import { ed25519 } from "@noble/curves/ed25519.js";
import { equalBytes, toHex } from "./bytes.ts";
import { headerHash, voteSignBytes } from "./encoding.ts";
import { refuse } from "./errors.ts";
import { type Commit, type Header, PRECOMMIT, type Validator } from "./types.ts";
import { checkValidatorSet, totalPower } from "./validators.ts";

/** A fraction of voting power, numerator / denominator, in integers. */
export interface Fraction {
  numerator: number;
  denominator: number;
}

/** CometBFT's default trust level: a later header signed by > 1/3 of a trusted set has an honest signer. */
export const DEFAULT_TRUST_LEVEL: Fraction = { numerator: 1, denominator: 3 };

/** A commit's quorum: more than two thirds of the header's own set. */
const QUORUM: Fraction = { numerator: 2, denominator: 3 };

/** The older set a skipping check counts signatures of, and the fraction of its power that must sign. */
export interface TrustOptions {
  trustedValidators: readonly Validator[];
  /** Between 1/3 and 1; default 1/3. */
  level?: Fraction;
}

export interface VerifiedCommit {
  height: number;
  blockHash: Uint8Array;
  /** Power of the header's own set that signed, and that set's total. */
  signedPower: bigint;
  totalPower: bigint;
  /** With `trust`: power of the trusted set whose members signed, and that set's total. */
  trustedSignedPower?: bigint;
  trustedTotalPower?: bigint;
}

/** Refuses a trust level outside [1/3, 1] (below 1/3 a skip could rest on faulty signers only). */
export function checkTrustLevel(level: Fraction): void {
  const { numerator: n, denominator: d } = level;
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(d) || d <= 0 || n * 3 < d || n > d) {
    refuse("OUT_OF_RANGE", `trust level ${n}/${d} is outside [1/3, 1]`);
  }
}

function exceeds(power: bigint, total: bigint, level: Fraction): boolean {
  return power * BigInt(level.denominator) > total * BigInt(level.numerator);
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

/**
 * Checks that `commit` decides `header` on chain `chainId`: same height, the header's hash (computed here),
 * `validators` hashing to header.validatorsHash, every signature a valid ed25519 precommit (over the vote
 * sign bytes) from a distinct member of that set, and together more than 2/3 of its power.
 *
 * With `trust`, also checks that the signers who are members of the trusted set (same address AND same
 * key) hold more than `trust.level` of the trusted set's power: the skipping rule. That shortfall is
 * refused with INSUFFICIENT_TRUSTED_POWER, before any signature is verified, so a bisection can tell
 * "try a pivot" from "this header is bad" cheaply.
 */
export function verifyCommit(
  chainId: string,
  header: Header,
  commit: Commit,
  validators: readonly Validator[],
  trust?: TrustOptions,
): VerifiedCommit {
  const height = header.height;
  if (header.chainId !== chainId) {
    refuse("WRONG_CHAIN", `header at height ${height} is for chain "${header.chainId}", expected "${chainId}"`);
  }
  if (commit.height !== height) {
    refuse("WRONG_HEIGHT", `commit is for height ${commit.height}, expected the header's height ${height}`);
  }
  const hash = headerHash(header);
  if (!equalBytes(commit.blockHash, hash)) {
    refuse("HASH_MISMATCH", `commit at height ${height} is for block ${hex(commit.blockHash)}, but the header hashes to ${hex(hash)}`);
  }
  checkValidatorSet(validators, header.validatorsHash, `the validator set of height ${height}`);

  const byAddress = new Map(validators.map((v) => [hex(v.address), v]));
  const total = totalPower(validators);
  const result: VerifiedCommit = { height, blockHash: hash, signedPower: 0n, totalPower: total };

  if (trust !== undefined) {
    // Counted from the signers the commit names, before any signature is verified (CometBFT's order): a
    // step too long for the trusted set costs no ed25519 work, and a bisection moves on to a pivot. Nothing
    // is accepted on this count alone: every signature is verified below.
    const level = trust.level ?? DEFAULT_TRUST_LEVEL;
    checkTrustLevel(level);
    const trusted = new Map(trust.trustedValidators.map((v) => [hex(v.address), v]));
    const counted = new Set<string>();
    let trustedSigned = 0n;
    for (const sig of commit.signatures) {
      const who = hex(sig.validatorAddress);
      const t = trusted.get(who);
      const own = byAddress.get(who);
      if (t === undefined || own === undefined || !equalBytes(t.pubkey, own.pubkey) || counted.has(who)) continue;
      counted.add(who);
      trustedSigned += BigInt(t.power);
    }
    const trustedTotal = totalPower(trust.trustedValidators);
    if (!exceeds(trustedSigned, trustedTotal, level)) {
      refuse("INSUFFICIENT_TRUSTED_POWER", `header at height ${height} is signed by ${trustedSigned} of the trusted set's ${trustedTotal} voting power; more than ${level.numerator}/${level.denominator} is needed to skip to it`);
    }
    result.trustedSignedPower = trustedSigned;
    result.trustedTotalPower = trustedTotal;
  }

  // Who signed, and the power they name, before any ed25519 work: a commit whose named signers could not
  // reach 2/3 even if every signature were good is refused at once (a lying node's big commit costs little).
  const seen = new Set<string>();
  let namedPower = 0n;
  for (const sig of commit.signatures) {
    const who = hex(sig.validatorAddress);
    const validator = byAddress.get(who);
    if (validator === undefined) {
      refuse("UNKNOWN_SIGNER", `commit at height ${height} has a signature from ${who}, who is not in the validator set of that height`);
    }
    if (seen.has(who)) refuse("DUPLICATE_SIGNER", `commit at height ${height} has two signatures from ${who}`);
    seen.add(who);
    namedPower += BigInt(validator.power);
  }
  if (!exceeds(namedPower, total, QUORUM)) {
    refuse("INSUFFICIENT_POWER", `commit at height ${height} is signed by ${namedPower} of ${total} voting power; more than 2/3 is needed`);
  }
  for (const sig of commit.signatures) {
    const who = hex(sig.validatorAddress);
    const validator = byAddress.get(who) as Validator;
    const vote = {
      type: PRECOMMIT,
      height,
      round: commit.round,
      blockHash: hash,
      timeMs: sig.timeMs,
      validatorAddress: sig.validatorAddress,
    } as const;
    if (!validSignature(sig.signature, voteSignBytes(chainId, vote), validator.pubkey)) {
      refuse("INVALID_SIGNATURE", `commit at height ${height}: the signature of ${who} is not a valid precommit by its key ${hex(validator.pubkey)}`);
    }
  }
  result.signedPower = namedPower;
  return result;
}

/**
 * Strict RFC 8032 verification (zip215 off), as the node's OpenSSL verification: a signature the node would
 * refuse is refused here too. Malformed keys or signatures are "not valid", never an exception.
 */
function validSignature(signature: Uint8Array, message: Uint8Array, pubkey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, pubkey, { zip215: false });
  } catch {
    return false;
  }
}
