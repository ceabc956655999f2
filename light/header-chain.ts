import { equalBytes, toHex } from "./bytes.ts";
import { type Fraction, DEFAULT_TRUST_LEVEL, checkTrustLevel, verifyCommit } from "./commit.ts";
import { headerHash, validatorsHash } from "./encoding.ts";
import { LightClientError, refuse } from "./errors.ts";
import type { LightBlock, Validator } from "./types.ts";
import { checkValidatorSet } from "./validators.ts";

/**
 * What the light client trusts: one point of the chain and the validator set that signs the next header.
 * Everything later is believed only once a commit links it to this point. Height 0 is genesis (no header).
 */
export interface TrustedState {
  chainId: string;
  height: number;
  timeMs: number;
  /** The trusted header's hash; undefined at genesis. */
  hash: Uint8Array | undefined;
  /** The set of height + 1, which the trusted header names (genesis: the genesis set). */
  nextValidators: Validator[];
  nextValidatorsHash: Uint8Array;
}

/** Most light blocks one `verifyToHeight` fetches (the target included): a bound on a bisection's work. */
export const MAX_LIGHT_BLOCK_FETCHES = 64;

/** Trust in a chain from its genesis: its chain id, the genesis validators and the genesis time. */
export function trustGenesis(chainId: string, validators: Validator[], genesisTimeMs: number): TrustedState {
  const hash = validatorsHash(validators);
  checkValidatorSet(validators, hash, "the genesis validator set");
  return {
    chainId,
    height: 0,
    timeMs: genesisTimeMs,
    hash: undefined,
    nextValidators: validators,
    nextValidatorsHash: hash,
  };
}

/**
 * Trust in a light block whose header hash the caller knows from elsewhere (`--trust-height H --trust-hash
 * HASH`): its header must hash to `trustedHash`, and its next set must hash to what the header names. Its
 * commit is checked too (a wrong one means the source is not serving the chain it claims).
 */
export function trustLightBlock(chainId: string, block: LightBlock, trustedHash: Uint8Array): TrustedState {
  const h = block.header;
  const hash = headerHash(h);
  if (!equalBytes(hash, trustedHash)) {
    refuse("HASH_MISMATCH", `the header at height ${h.height} hashes to ${toHex(hash)}, not the trusted hash ${toHex(trustedHash)}`);
  }
  verifyCommit(chainId, h, block.commit, block.validators);
  return stateAfter(block, hash);
}

function stateAfter(block: LightBlock, hash: Uint8Array): TrustedState {
  const h = block.header;
  checkValidatorSet(block.nextValidators, h.nextValidatorsHash, `the validator set of height ${h.height + 1}`);
  return {
    chainId: h.chainId,
    height: h.height,
    timeMs: h.timeMs,
    hash,
    nextValidators: block.nextValidators,
    nextValidatorsHash: h.nextValidatorsHash,
  };
}

/**
 * The caller's clock, for the long-range attack: validators who signed the trusted header can unbond and leave
 * (no longer punishable), and then sign any history they like. So a trusted header is used only while younger
 * than the trusting period, which the caller sets below the chain's unbonding time (CometBFT's
 * TrustOptions.Period), and a header later than the caller's clock is refused. The library reads no clock.
 */
export interface TrustExpiry {
  nowMs: number;
  trustingPeriodMs: number;
  /** How far a header's time may be ahead of nowMs (clocks differ); default DEFAULT_MAX_CLOCK_DRIFT_MS. */
  maxClockDriftMs?: number;
}

/** CometBFT's default allowed clock drift (light/verifier.go: 10 s). */
export const DEFAULT_MAX_CLOCK_DRIFT_MS = 10_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Refuses a trusted point older than the trusting period (nothing to check without `expiry`). */
export function checkTrustFresh(trusted: TrustedState, expiry: TrustExpiry | undefined): void {
  if (expiry === undefined) return;
  if (trusted.timeMs + expiry.trustingPeriodMs <= expiry.nowMs) {
    refuse(
      "TRUST_EXPIRED",
      `the trusted header at height ${trusted.height} (time ${iso(trusted.timeMs)}) is older than the trusting ` +
      `period of ${expiry.trustingPeriodMs / 1000} s: its validators may have unbonded since and could sign a false ` +
      "history unpunished; trust a more recent header (--trust-height/--trust-hash)",
    );
  }
}

/** Refuses to use `trusted` if it has expired, and a header from the caller's future. */
function checkExpiry(trusted: TrustedState, block: LightBlock, expiry: TrustExpiry | undefined): void {
  if (expiry === undefined) return;
  checkTrustFresh(trusted, expiry);
  const h = block.header;
  const drift = expiry.maxClockDriftMs ?? DEFAULT_MAX_CLOCK_DRIFT_MS;
  if (h.timeMs > expiry.nowMs + drift) {
    refuse(
      "TIME_IN_FUTURE",
      `the header at height ${h.height} has time ${iso(h.timeMs)}, later than this clock (${iso(expiry.nowMs)}) ` +
      `allows (${drift / 1000} s of drift)`,
    );
  }
}

function checkNewer(trusted: TrustedState, block: LightBlock, expiry?: TrustExpiry): void {
  const h = block.header;
  checkExpiry(trusted, block, expiry);
  if (h.chainId !== trusted.chainId) {
    refuse("WRONG_CHAIN", `header at height ${h.height} is for chain "${h.chainId}", expected "${trusted.chainId}"`);
  }
  if (h.height <= trusted.height) {
    refuse("WRONG_HEIGHT", `header height ${h.height} is not above the trusted height ${trusted.height}`);
  }
  if (h.timeMs <= trusted.timeMs) {
    refuse("TIME_NOT_AFTER", `header at height ${h.height} has time ${h.timeMs}, not after the trusted header's ${trusted.timeMs} (height ${trusted.height})`);
  }
}

/**
 * Sequential step: header H+1 against trusted H. Same chain, next height, later time, its lastBlockHash
 * is the trusted hash, its validatorsHash is the trusted nextValidatorsHash, and > 2/3 of its own set
 * signed its commit. Returns the new trusted state (header H+1).
 */
export function verifyAdjacent(trusted: TrustedState, block: LightBlock, expiry?: TrustExpiry): TrustedState {
  const h = block.header;
  checkNewer(trusted, block, expiry);
  if (h.height !== trusted.height + 1) {
    refuse("WRONG_HEIGHT", `header height ${h.height} is not the next height after the trusted ${trusted.height}`);
  }
  const expectedLast = trusted.hash ?? new Uint8Array(0);
  if (!equalBytes(h.lastBlockHash, expectedLast)) {
    refuse("HASH_MISMATCH", `header at height ${h.height} names the previous block ${toHex(h.lastBlockHash) || "(none)"}, but the trusted header at height ${trusted.height} is ${toHex(expectedLast) || "(none: genesis)"}`);
  }
  if (!equalBytes(h.validatorsHash, trusted.nextValidatorsHash)) {
    refuse("VALIDATOR_SET_MISMATCH", `header at height ${h.height} names validator set ${toHex(h.validatorsHash)}, but the trusted header at height ${trusted.height} named ${toHex(trusted.nextValidatorsHash)} for it`);
  }
  const verified = verifyCommit(trusted.chainId, h, block.commit, block.validators);
  return stateAfter(block, verified.blockHash);
}

/**
 * Skipping step (CometBFT's VerifyNonAdjacent): a header more than one height above the trusted one is
 * accepted if the trusted set (the trusted header's next set, as in the light client specification) has
 * more than `level` of its power among the commit's signers, and > 2/3 of the header's own set signed.
 * Too little trusted power is refused with INSUFFICIENT_TRUSTED_POWER (a bisection then tries a pivot).
 */
export function verifyNonAdjacent(
  trusted: TrustedState,
  block: LightBlock,
  level = DEFAULT_TRUST_LEVEL,
  expiry?: TrustExpiry,
): TrustedState {
  const h = block.header;
  checkNewer(trusted, block, expiry);
  if (h.height === trusted.height + 1) {
    refuse("WRONG_HEIGHT", `header at height ${h.height} is adjacent to the trusted one; verify it sequentially`);
  }
  const verified = verifyCommit(trusted.chainId, h, block.commit, block.validators, {
    trustedValidators: trusted.nextValidators,
    level,
  });
  return stateAfter(block, verified.blockHash);
}

/** One step from `trusted` to `block`, sequential when adjacent, skipping otherwise. */
export function verifyLightBlock(
  trusted: TrustedState,
  block: LightBlock,
  level = DEFAULT_TRUST_LEVEL,
  expiry?: TrustExpiry,
): TrustedState {
  return block.header.height === trusted.height + 1
    ? verifyAdjacent(trusted, block, expiry)
    : verifyNonAdjacent(trusted, block, level, expiry);
}

export interface HeaderChainOptions {
  trustLevel?: Fraction;
  /** At most this many fetches (default and upper bound MAX_LIGHT_BLOCK_FETCHES). */
  maxFetches?: number;
  /** The caller's clock and trusting period (TrustExpiry); without it a trusted point never expires. */
  expiry?: TrustExpiry;
}

export interface VerifiedHeaderChain {
  /** The target's light block, verified. */
  block: LightBlock;
  /** The trusted state at the target. */
  trusted: TrustedState;
  /** The heights verified on the way, in order, ending with the target. */
  path: number[];
  fetched: number;
}

/**
 * Verifies the header at `targetHeight` from `trusted`, as CometBFT's light client does (client.go
 * verifySkipping): try the target directly; when too little of the trusted set signed it, fetch a pivot
 * halfway between the last verified height and the lowest unverified one and try that, moving the trusted
 * point up each time a pivot verifies. Every other failure is final. Pivots lie strictly between the
 * trusted height and the target, every fetched block must be the height asked for, and at most
 * `maxFetches` blocks are fetched.
 */
export async function verifyToHeight(
  trusted: TrustedState,
  targetHeight: number,
  fetchLightBlock: (height: number) => Promise<LightBlock>,
  options: HeaderChainOptions = {},
): Promise<VerifiedHeaderChain> {
  const level = options.trustLevel ?? DEFAULT_TRUST_LEVEL;
  checkTrustLevel(level);
  const maxFetches = Math.min(options.maxFetches ?? MAX_LIGHT_BLOCK_FETCHES, MAX_LIGHT_BLOCK_FETCHES);
  if (!Number.isSafeInteger(targetHeight) || targetHeight <= trusted.height) {
    refuse("OUT_OF_RANGE", `target height ${targetHeight} is not above the trusted height ${trusted.height}`);
  }
  let fetched = 0;
  const fetch = async (height: number): Promise<LightBlock> => {
    if (fetched >= maxFetches) {
      refuse("OUT_OF_RANGE", `verifying height ${targetHeight} from height ${trusted.height} needs more than ${maxFetches} light blocks`);
    }
    fetched++;
    const block = await fetchLightBlock(height);
    if (block.header.height !== height) {
      refuse("WRONG_HEIGHT", `asked for the light block of height ${height}, got one of height ${block.header.height}`);
    }
    return block;
  };

  let verified = trusted;
  const path: number[] = [];
  // Unverified blocks, highest first: cache[0] is the target, each later one a pivot below the one before.
  // After each verified pivot the target is tried again first, as CometBFT does: one pivot may suffice.
  const cache: LightBlock[] = [await fetch(targetHeight)];
  let depth = 0;
  for (;;) {
    const next = cache[depth];
    try {
      verified = verifyLightBlock(verified, next, level, options.expiry);
    } catch (err) {
      if (!(err instanceof LightClientError) || err.code !== "INSUFFICIENT_TRUSTED_POWER") throw err;
      if (depth === cache.length - 1) {
        // Too big a step: halve it. The step is non-adjacent here, so the pivot lies strictly between.
        cache.push(await fetch(verified.height + Math.floor((next.header.height - verified.height) / 2)));
      }
      depth++;
      continue;
    }
    path.push(next.header.height);
    if (depth === 0) return { block: next, trusted: verified, path, fetched };
    cache.length = depth; // this pivot and any below it are behind the trusted point now
    depth = 0;
  }
}
