import { encodeAddress } from "../crypto/address.ts";
import { equalBytes } from "../crypto/bytes.ts";
import { verify } from "../crypto/ed25519.ts";
import type { Commit, Validator } from "../proto/block.ts";
import { PRECOMMIT, voteSignBytes } from "../proto/consensus.ts";

export function totalPower(validators: readonly Validator[]): number {
  let total = 0;
  for (const v of validators) total += v.power;
  return total;
}

export function findValidator(validators: readonly Validator[], address: Uint8Array): Validator | undefined {
  return validators.find((v) => equalBytes(v.address, address));
}

/** More than two thirds of the total: the quorum for a polka and a commit. Integer arithmetic only. */
export function isSuperMajority(power: number, total: number): boolean {
  return power * 3 > total * 2;
}

/**
 * Checks that `commit` decides `blockHash` at `height`: every signature is a valid precommit from a
 * distinct member of `validators`, and together they hold more than 2/3 of the voting power.
 * Returns undefined if so, or the reason it does not.
 */
export function verifyCommit(
  chainId: string,
  validators: readonly Validator[],
  height: number,
  blockHash: Uint8Array,
  commit: Commit,
): string | undefined {
  if (commit.height !== height) return `commit is for height ${commit.height}, expected ${height}`;
  if (!equalBytes(commit.blockHash, blockHash)) return "commit is for a different block";
  const seen = new Set<string>();
  let power = 0;
  for (const sig of commit.signatures) {
    const who = encodeAddress(sig.validatorAddress);
    const validator = findValidator(validators, sig.validatorAddress);
    if (validator === undefined)
      return `commit signature from ${who}, who is not a validator at height ${height}`;
    if (seen.has(who)) return `commit has two signatures from ${who}`;
    seen.add(who);
    const vote = {
      type: PRECOMMIT,
      height,
      round: commit.round,
      blockHash,
      timeMs: sig.timeMs,
      validatorAddress: sig.validatorAddress,
    } as const;
    if (!verify(voteSignBytes(chainId, vote), sig.signature, validator.pubkey)) {
      return `commit signature from ${who} is invalid`;
    }
    power += validator.power;
  }
  const total = totalPower(validators);
  if (!isSuperMajority(power, total))
    return `commit holds ${power} of ${total} voting power; more than 2/3 is needed`;
  return undefined;
}
