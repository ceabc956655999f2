import { sha256 } from "@noble/hashes/sha2.js";
import { equalBytes, toHex } from "./bytes.ts";
import { validatorsHash } from "./encoding.ts";
import { refuse } from "./errors.ts";
import { MAX_VALIDATORS } from "./limits.ts";
import { ADDRESS_LENGTH, type Validator } from "./types.ts";

/** The node's address of a consensus key: the first 20 bytes of sha256(pubkey) (crypto/address.ts). */
export function addressOf(pubkey: Uint8Array): Uint8Array {
  return sha256(pubkey).slice(0, ADDRESS_LENGTH);
}

/** Total voting power, summed as a bigint: each power is a safe integer, their sum need not be. */
export function totalPower(validators: readonly Validator[]): bigint {
  let total = 0n;
  for (const v of validators) total += BigInt(v.power);
  return total;
}

/**
 * Checks that `validators` is a well-formed set whose hash is `expectedHash` (what a header says): each
 * address is derived from its key, no address twice, every power a positive safe integer. `what` names the
 * set in messages ("the validator set of height 12").
 */
export function checkValidatorSet(validators: readonly Validator[], expectedHash: Uint8Array, what: string): void {
  if (validators.length === 0) refuse("VALIDATOR_SET_MISMATCH", `${what} is empty`);
  if (validators.length > MAX_VALIDATORS) {
    refuse("VALIDATOR_SET_MISMATCH", `${what} holds ${validators.length} validators; a set holds at most ${MAX_VALIDATORS}`);
  }
  const seen = new Set<string>();
  for (const v of validators) {
    const address = toHex(v.address);
    if (!equalBytes(v.address, addressOf(v.pubkey))) {
      refuse("VALIDATOR_SET_MISMATCH", `${what}: validator ${address} has an address that is not derived from its public key ${toHex(v.pubkey)}`);
    }
    if (seen.has(address)) refuse("VALIDATOR_SET_MISMATCH", `${what} lists validator ${address} twice`);
    seen.add(address);
    if (!Number.isSafeInteger(v.power) || v.power <= 0) {
      refuse("VALIDATOR_SET_MISMATCH", `${what}: validator ${address} has power ${v.power}; a positive integer is expected`);
    }
  }
  const got = validatorsHash(validators);
  if (!equalBytes(got, expectedHash)) {
    refuse("VALIDATOR_SET_MISMATCH", `${what} hashes to ${toHex(got)}, but the header says ${toHex(expectedHash)}`);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * The node's order of a validator set (state/modules/staking/validator-set.ts computeValidatorSet): power descending,
 * then address ascending. A set built elsewhere (e.g. from a genesis file) must be in this order to hash
 * as the header's.
 */
export function sortValidators(validators: readonly Validator[]): Validator[] {
  return [...validators].sort((a, b) => b.power - a.power || compareBytes(a.address, b.address));
}
