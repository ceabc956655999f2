import { describe, expect, it } from "vitest";
import { type LightBlock, LightClientError, trustGenesis, verifyCommit, verifyToHeight } from "../../light/index.ts";
import { asValidator, buildLightChain, type Member, testValidators } from "../helpers/light-chain.ts";

/**
 * The long-range attack: half of the genesis validators (more than the 1/3 a skip needs, less than 2/3) sign
 * a made-up header at height 1000 naming only themselves as its set, with any state root. Without a clock the
 * light client cannot tell it from the real chain; with the caller's clock and a trusting period below the
 * unbonding time it refuses to skip from a trusted point that old, and refuses headers from the future.
 */
const CHAIN = "opl-light-expiry";
const T0 = 1_796_000_000_000;
const pool = testValidators(4, "expiry");
const all: Member[] = pool.map((validator) => ({ validator, power: 10 }));
const colluders: Member[] = all.slice(0, 2);

/** The forged history: the colluders as the set from height 2 on, so height 1000 is theirs alone. */
const forged = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0, setAt: (h) => (h === 1 ? all : colluders) }, 1000);
const fetchForged = async (height: number): Promise<LightBlock> => forged.at(height);
const genesis = () => trustGenesis(CHAIN, all.map(asValidator), T0);

const HOUR = 3_600_000;

describe("trusting period", () => {
  it("without a clock, the colluding half of the genesis set can skip straight to a forged header", async () => {
    const chain = await verifyToHeight(genesis(), 1000, fetchForged);
    expect(chain.path).toEqual([1000]);
  });

  it("with a clock, a trusted point older than the trusting period is refused, naming what to do", async () => {
    const forgedAt = forged.at(1000).header.timeMs;
    const expiry = { nowMs: forgedAt + HOUR, trustingPeriodMs: HOUR };
    const err = await verifyToHeight(genesis(), 1000, fetchForged, { expiry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LightClientError);
    expect((err as LightClientError).code).toBe("TRUST_EXPIRED");
    expect((err as LightClientError).message).toMatch(
      /the trusted header at height 0 .* is older than the trusting period of 3600 s: .*--trust-height\/--trust-hash/,
    );
  });

  it("a trusted point younger than the trusting period still verifies", async () => {
    const expiry = { nowMs: forged.at(1000).header.timeMs + 1000, trustingPeriodMs: 10 * 24 * HOUR };
    const chain = await verifyToHeight(genesis(), 1000, fetchForged, { expiry });
    expect(chain.trusted.height).toBe(1000);
  });

  it("a header later than the caller's clock (beyond the drift) is refused", async () => {
    const expiry = { nowMs: forged.at(10).header.timeMs - 60_000, trustingPeriodMs: 10 * 24 * HOUR };
    const err = await verifyToHeight(genesis(), 10, fetchForged, { expiry }).catch((e: unknown) => e);
    expect((err as LightClientError).code).toBe("TIME_IN_FUTURE");
    expect((err as LightClientError).message).toMatch(/the header at height 10 has time .*later than this clock/);
  });
});

describe("bounds on what a lying node can make the light client check", () => {
  it("a validator set or commit above MAX_VALIDATORS is refused before anything is hashed or verified", async () => {
    const { MAX_VALIDATORS } = await import("../../light/limits.ts");
    const { BLOCK_PARAM_CAPS } = await import("../../proto/block-caps.ts");
    const { decodeValidatorsJson, decodeCommitJson } = await import("../../light/index.ts");
    expect(BLOCK_PARAM_CAPS.maxValidators).toBe(MAX_VALIDATORS); // one constant for the node and the client
    const many = Array.from({ length: MAX_VALIDATORS + 1 }, () => ({}));
    expect(() => decodeValidatorsJson(many)).toThrow(`validators holds ${MAX_VALIDATORS + 1} entries; at most ${MAX_VALIDATORS}`);
    const commit = { height: 1, round: 0, blockHash: "00".repeat(32), signatures: many };
    expect(() => decodeCommitJson(commit)).toThrow(`commit.signatures holds ${MAX_VALIDATORS + 1} entries`);
  });

  it("a commit whose named signers hold too little power is refused without verifying a signature", () => {
    const block = forged.at(5);
    // Keep one of the two colluders' signatures, and break it: the power count refuses before the signature.
    const commit = { ...block.commit, signatures: [{ ...block.commit.signatures[0], signature: new Uint8Array(64) }] };
    const err = (() => {
      try {
        return verifyLightBlockDirect({ ...block, commit });
      } catch (e) {
        return e as LightClientError;
      }
    })();
    expect((err as LightClientError).code).toBe("INSUFFICIENT_POWER");
  });
});

function verifyLightBlockDirect(block: LightBlock) {
  return verifyCommit(CHAIN, block.header, block.commit, block.validators);
}
