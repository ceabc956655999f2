/**
 * The OPEN chain light client: verifies headers, commits and state proofs trusting nothing but a starting
 * point (a genesis validator set, or a header hash). Pure TypeScript over @noble/curves and @noble/hashes,
 * no Node-only API: a browser can bundle it. docs/light-client.md says what each function checks.
 */
export { bech32Decode, bech32Encode } from "./bech32.ts";
export { fromBase64, fromHex, toBase64, toHex } from "./bytes.ts";
export {
  checkTrustLevel,
  DEFAULT_TRUST_LEVEL,
  type Fraction,
  type TrustOptions,
  type VerifiedCommit,
  verifyCommit,
} from "./commit.ts";
export {
  commitHash,
  encodeCommit,
  encodeHeader,
  encodeValidatorSet,
  encodeVote,
  headerHash,
  validatorsHash,
  voteSignBytes,
} from "./encoding.ts";
export { type LightErrorCode, LightClientError } from "./errors.ts";
export {
  checkTrustFresh,
  DEFAULT_MAX_CLOCK_DRIFT_MS,
  type HeaderChainOptions,
  MAX_LIGHT_BLOCK_FETCHES,
  type TrustExpiry,
  type TrustedState,
  trustGenesis,
  trustLightBlock,
  type VerifiedHeaderChain,
  verifyAdjacent,
  verifyLightBlock,
  verifyNonAdjacent,
  verifyToHeight,
} from "./header-chain.ts";
export {
  ADDRESS_PREFIX,
  decodeCommitJson,
  decodeHeaderJson,
  decodeLightBlockJson,
  decodeStateProofAnswerJson,
  decodeStateProofJson,
  decodeValidatorsJson,
  type StateProofAnswer,
} from "./json.ts";
export { type VerifiedStateAnswer, verifyStateProofAnswer } from "./state-answer.ts";
export { type GenesisParams, type VerifiedParams, verifyParamsAnswer } from "./params.ts";
export { stateKeyOf, type StateKeyQuery } from "./state-keys.ts";
export { MAX_PROOF_DEPTH, type VerifiedStateProof, verifyStateProof } from "./state-proof.ts";
export * from "./types.ts";
export { addressOf, checkValidatorSet, sortValidators, totalPower } from "./validators.ts";
