import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockHash, type Header } from "../../proto/block.ts";
import {
  type LightBlock,
  LightClientError,
  type LightErrorCode,
  MAX_LIGHT_BLOCK_FETCHES,
  type TrustedState,
  trustGenesis,
  trustLightBlock,
  verifyAdjacent,
  verifyNonAdjacent,
  verifyToHeight,
} from "../../light/index.ts";
import { buildLightChain, type LightChain, type Member, signCommit, testValidators } from "../helpers/light-chain.ts";

/**
 * Header chains from a trusted point to a later height, over chains the node's code signed, with validator
 * sets that change: sequential steps, CometBFT's skipping with bisection, the bounds on the work, and
 * each tampering refused.
 */

const CHAIN = "opl-light-1";
const T0 = 1_796_000_000_000;
const pool = testValidators(30, "header-chain");

/** Every 4 heights, 2 of the 4 validators (half the power, more than 1/3) are replaced. */
const rotating = (height: number): Member[] => {
  const epoch = Math.floor((height - 1) / 4);
  return pool.slice(2 * epoch, 2 * epoch + 4).map((validator) => ({ validator, power: 10 }));
};
const rotatingChain = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0, setAt: rotating }, 48);
const steadyChain = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0, setAt: () => rotating(1) }, 48);

const genesisTrust = (chain: LightChain): TrustedState => trustGenesis(CHAIN, chain.genesis, T0);

function recordingFetch(chain: LightChain) {
  const asked: number[] = [];
  return {
    asked,
    fetch: async (height: number): Promise<LightBlock> => {
      asked.push(height);
      return chain.at(height);
    },
  };
}

async function refusal(run: () => unknown): Promise<{ code: LightErrorCode; message: string }> {
  try {
    await run();
  } catch (err) {
    if (err instanceof LightClientError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal, but it was accepted");
}

/** The block at `height` with its header changed by `change` and signed again by its whole set. */
function resigned(chain: LightChain, height: number, change: (h: Header) => Header, chainId = CHAIN): LightBlock {
  const b = chain.at(height);
  const header = change(b.header);
  return { ...b, header, commit: signCommit(chainId, header, chain.spec.setAt(height).map((m) => m.validator)) };
}

describe("sequential verification", () => {
  it("walks every height from genesis across the set changes", () => {
    let trusted = genesisTrust(rotatingChain);
    for (let h = 1; h <= 48; h++) trusted = verifyAdjacent(trusted, rotatingChain.at(h));
    expect(trusted.height).toBe(48);
    expect(trusted.hash).toEqual(blockHash(rotatingChain.at(48).header));
  });

  it("refuses a header that does not link to the trusted one", async () => {
    const trusted = verifyAdjacent(genesisTrust(rotatingChain), rotatingChain.at(1));
    const other = resigned(rotatingChain, 2, (h) => ({ ...h, lastBlockHash: new Uint8Array(32).fill(1) }));
    const r = await refusal(() => verifyAdjacent(trusted, other));
    expect(r.code).toBe("HASH_MISMATCH");
    expect(r.message).toMatch(/^header at height 2 names the previous block 0101\w+, but the trusted header at/);
  });

  it("refuses a header whose set is not the one the trusted header named", async () => {
    const trusted = verifyAdjacent(genesisTrust(rotatingChain), rotatingChain.at(1));
    // A height 2 signed by a set the trusted header at height 1 did not name, linked to height 1.
    const jumpSet = (h: number) => (h === 2 ? rotating(9) : rotating(h));
    const jump = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0, setAt: jumpSet }, 2);
    const linked = resigned(jump, 2, (h) => ({ ...h, lastBlockHash: trusted.hash as Uint8Array }));
    expect((await refusal(() => verifyAdjacent(trusted, linked))).code).toBe("VALIDATOR_SET_MISMATCH");
  });

  it("refuses a wrong chain id, a time not after the trusted one, and a next set that does not hash", async () => {
    const trusted = verifyAdjacent(genesisTrust(rotatingChain), rotatingChain.at(1));
    const foreign = resigned(rotatingChain, 2, (h) => ({ ...h, chainId: "opl-other" }), "opl-other");
    expect(await refusal(() => verifyAdjacent(trusted, foreign))).toEqual({
      code: "WRONG_CHAIN",
      message: `header at height 2 is for chain "opl-other", expected "${CHAIN}"`,
    });
    const early = resigned(rotatingChain, 2, (h) => ({ ...h, timeMs: trusted.timeMs }));
    expect((await refusal(() => verifyAdjacent(trusted, early))).code).toBe("TIME_NOT_AFTER");
    const badNext = { ...rotatingChain.at(2), nextValidators: rotatingChain.at(40).validators };
    expect((await refusal(() => verifyAdjacent(trusted, badNext))).message)
      .toMatch(/^the validator set of height 3 hashes to [0-9a-f]{64}, but the header says/);
  });

  it("refuses a header with a changed state root, and one signed by too little power", async () => {
    const trusted = verifyAdjacent(genesisTrust(rotatingChain), rotatingChain.at(1));
    const b = rotatingChain.at(2);
    const changed = { ...b, header: { ...b.header, stateRoot: new Uint8Array(32).fill(9) } };
    expect((await refusal(() => verifyAdjacent(trusted, changed))).code).toBe("HASH_MISMATCH");
    const weak = { ...b, commit: signCommit(CHAIN, b.header, rotating(2).slice(0, 2).map((m) => m.validator)) };
    expect((await refusal(() => verifyAdjacent(trusted, weak))).code).toBe("INSUFFICIENT_POWER");
  });
});

describe("skipping verification (CometBFT's rule and bisection)", () => {
  it("skips straight to the target when the set has not changed", async () => {
    const { asked, fetch } = recordingFetch(steadyChain);
    const v = await verifyToHeight(genesisTrust(steadyChain), 48, fetch);
    expect(v.path).toEqual([48]);
    expect(asked).toEqual([48]);
    expect(v.trusted.hash).toEqual(blockHash(steadyChain.at(48).header));
  });

  it("bisects when the sets changed by more than 1/3, through pivots strictly between", async () => {
    const { asked, fetch } = recordingFetch(rotatingChain);
    const v = await verifyToHeight(genesisTrust(rotatingChain), 48, fetch);
    expect(v.block.header.height).toBe(48);
    expect(v.trusted.hash).toEqual(blockHash(rotatingChain.at(48).header));
    expect(asked[0]).toBe(48);
    for (const h of asked.slice(1)) expect(h > 0 && h < 48, `pivot ${h} lies strictly between 0 and 48`).toBe(true);
    expect(v.path.at(-1)).toBe(48);
    expect(v.path).toEqual([...v.path].sort((a, b) => a - b));
    expect(v.path.length).toBeGreaterThan(1);
    // Fewer blocks than the sequential walk; each verified step kept > 1/3 of the previous trusted set.
    expect(v.fetched).toBe(asked.length);
    expect(v.fetched).toBeLessThan(48);
  });

  it("a direct skip across two set changes is refused for too little trusted power", async () => {
    const r = await refusal(() => verifyNonAdjacent(genesisTrust(rotatingChain), rotatingChain.at(9)));
    expect(r).toEqual({
      code: "INSUFFICIENT_TRUSTED_POWER",
      message: "header at height 9 is signed by 0 of the trusted set's 40 voting power; more than 1/3 is needed to skip to it",
    });
    // One change (half the set) is skippable: 20 of 40 > 1/3.
    expect(verifyNonAdjacent(genesisTrust(rotatingChain), rotatingChain.at(5)).height).toBe(5);
  });

  it("starts from a trusted height and hash, and refuses a block that does not hash to it", async () => {
    const start = rotatingChain.at(10);
    const trusted = trustLightBlock(CHAIN, start, blockHash(start.header));
    const v = await verifyToHeight(trusted, 30, recordingFetch(rotatingChain).fetch);
    expect(v.trusted.height).toBe(30);
    const r = await refusal(() => trustLightBlock(CHAIN, start, blockHash(rotatingChain.at(11).header)));
    expect(r.code).toBe("HASH_MISMATCH");
    expect(r.message).toMatch(/^the header at height 10 hashes to [0-9a-f]{64}, not the trusted hash [0-9a-f]{64}$/);
  });

  it("bounds the work: at most maxFetches blocks, and never more than MAX_LIGHT_BLOCK_FETCHES", async () => {
    const { asked, fetch } = recordingFetch(rotatingChain);
    const r = await refusal(() => verifyToHeight(genesisTrust(rotatingChain), 48, fetch, { maxFetches: 3 }));
    expect(r).toEqual({ code: "OUT_OF_RANGE", message: "verifying height 48 from height 0 needs more than 3 light blocks" });
    expect(asked.length).toBe(3);
    expect(MAX_LIGHT_BLOCK_FETCHES).toBeGreaterThanOrEqual(2 * Math.log2(1e9)); // a billion heights bisect within it
  });

  it("refuses a target at or below the trusted height, and a fetched block of another height", async () => {
    const trusted = trustLightBlock(CHAIN, rotatingChain.at(10), blockHash(rotatingChain.at(10).header));
    expect((await refusal(() => verifyToHeight(trusted, 10, recordingFetch(rotatingChain).fetch))).code).toBe("OUT_OF_RANGE");
    const liar = async () => rotatingChain.at(12);
    expect(await refusal(() => verifyToHeight(trusted, 20, liar))).toEqual({
      code: "WRONG_HEIGHT",
      message: "asked for the light block of height 20, got one of height 12",
    });
  });

  it("refuses a target whose time is before the trusted one (a fork signed by the same keys)", async () => {
    const trusted = trustLightBlock(CHAIN, rotatingChain.at(10), blockHash(rotatingChain.at(10).header));
    const fork = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0 - 1_000_000, setAt: rotating }, 20);
    const r = await refusal(() => verifyToHeight(trusted, 12, recordingFetch(fork).fetch));
    expect(r.code).toBe("TIME_NOT_AFTER");
    expect(r.message).toContain("not after the trusted header's");
  });

  it("a bad pivot or target ends the verification: no further bisection around it", async () => {
    const forged = (height: number) => async (h: number): Promise<LightBlock> => {
      const b = rotatingChain.at(h);
      if (h !== height) return b;
      const commit = structuredClone(b.commit);
      commit.signatures[0].signature[0] ^= 1;
      return { ...b, commit };
    };
    const first = recordingFetch(rotatingChain);
    await verifyToHeight(genesisTrust(rotatingChain), 48, first.fetch);
    const pivot = first.asked[1];
    expect((await refusal(() => verifyToHeight(genesisTrust(rotatingChain), 48, forged(pivot)))).code).toBe("INVALID_SIGNATURE");
    expect((await refusal(() => verifyToHeight(genesisTrust(rotatingChain), 48, forged(48)))).code).toBe("INVALID_SIGNATURE");
    const changedRoot = async (h: number) => {
      const b = rotatingChain.at(h);
      return h === 48 ? { ...b, header: { ...b.header, stateRoot: new Uint8Array(32) } } : b;
    };
    expect((await refusal(() => verifyToHeight(genesisTrust(rotatingChain), 48, changedRoot))).code).toBe("HASH_MISMATCH");
  });

  it("a stricter trust level needs more steps", async () => {
    const loose = await verifyToHeight(genesisTrust(rotatingChain), 48, recordingFetch(rotatingChain).fetch);
    const strict = await verifyToHeight(genesisTrust(rotatingChain), 48, recordingFetch(rotatingChain).fetch, {
      trustLevel: { numerator: 2, denominator: 3 },
    });
    expect(strict.path.length).toBeGreaterThan(loose.path.length);
  });
});

describe("bisection on random validator-set histories", () => {
  it("reaches the target on every honest chain, within the bounds", async () => {
    const keys = testValidators(12, "random-sets");
    // Each height's set: 3 to 6 of the 12 keys with powers 1-50, changing at random heights by any amount.
    const setArb = fc.record({
      members: fc.subarray(keys.map((_, i) => i), { minLength: 3, maxLength: 6 }),
      powers: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 6, maxLength: 6 }),
    });
    await fc.assert(fc.asyncProperty(
      fc.array(setArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 6, maxLength: 6 }),
      fc.integer({ min: 2, max: 30 }),
      async (sets, changeAt, target) => {
        const changes = [...new Set(changeAt)].sort((a, b) => a - b).slice(0, sets.length - 1);
        const setAt = (h: number): Member[] => {
          const s = sets[changes.filter((c) => c <= h).length];
          return s.members.map((k, i) => ({ validator: keys[k], power: s.powers[i] }));
        };
        const chain = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0, setAt }, target);
        const { asked, fetch } = recordingFetch(chain);
        const v = await verifyToHeight(genesisTrust(chain), target, fetch);
        expect(v.trusted.hash).toEqual(blockHash(chain.at(target).header));
        expect(v.path.at(-1)).toBe(target);
        expect(asked.length).toBeLessThanOrEqual(MAX_LIGHT_BLOCK_FETCHES);
        for (const h of asked.slice(1)) expect(h > 0 && h < target).toBe(true);
      },
    ), { numRuns: 60 });
  });
});
