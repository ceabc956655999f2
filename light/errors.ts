/**
 * Why the light client refused something. One class, a stable `code` for programs and a message for people
 * that says what was expected and what was found.
 */
export type LightErrorCode =
  /** A field of an RPC answer is missing, of the wrong type or of the wrong length. */
  | "MALFORMED"
  /** A header or commit belongs to another chain. */
  | "WRONG_CHAIN"
  /** Heights do not follow: a commit for another height, a block that is not the one asked for, etc. */
  | "WRONG_HEIGHT"
  /** A hash does not match: a commit for another block, a header that does not link to the trusted one. */
  | "HASH_MISMATCH"
  /** A validator set does not hash to what the header says, or is not a valid set. */
  | "VALIDATOR_SET_MISMATCH"
  /** A commit signature is not a valid precommit by the key of the validator it names. */
  | "INVALID_SIGNATURE"
  /** A commit signature names someone outside the validator set. */
  | "UNKNOWN_SIGNER"
  /** Two commit signatures from one validator. */
  | "DUPLICATE_SIGNER"
  /** The signers hold too little power of the header's own set (> 2/3 is needed). */
  | "INSUFFICIENT_POWER"
  /** Too little power of the trusted set signed a later header to skip to it (bisection then tries a pivot). */
  | "INSUFFICIENT_TRUSTED_POWER"
  /** A header's time is not after the trusted one's. */
  | "TIME_NOT_AFTER"
  /** The trusted header is older than the trusting period: its validators may have unbonded since. */
  | "TRUST_EXPIRED"
  /** A header's time is later than the caller's clock allows (now + the clock drift). */
  | "TIME_IN_FUTURE"
  /** A target height at or below the trusted height, or a bound on the work reached. */
  | "OUT_OF_RANGE"
  /** A state proof does not prove the claimed value (or absence) under the root. */
  | "INVALID_PROOF"
  /** The params record is proven absent (genesis params in force), and the caller gave no genesis params. */
  | "NEEDS_GENESIS";

export class LightClientError extends Error {
  override name = "LightClientError";
  readonly code: LightErrorCode;

  constructor(code: LightErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function refuse(code: LightErrorCode, message: string): never {
  throw new LightClientError(code, message);
}
