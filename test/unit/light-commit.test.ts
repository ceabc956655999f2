import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyCommit as nodeVerifyCommit } from "../../consensus/validator-set.ts";
import { blockHash, type Header, validatorsHash } from "../../proto/block.ts";
import { type Commit, LightClientError, type LightErrorCode, type TrustOptions, verifyCommit } from "../../light/index.ts";
import { asValidator, buildLightChain, type Member, signCommit, testValidators } from "../helpers/light-chain.ts";

/**
 * verifyCommit on commits the node's code signed (test/helpers/light-chain.ts), and each way a commit can
 * be wrong: every tampering is refused with its own code and a message saying what was expected.
 */

const CHAIN = "opl-light-1";
const keys = testValidators(6, "commit");
const members: Member[] = keys.slice(0, 4).map((validator) => ({ validator, power: 10 }));
const chain = buildLightChain({ chainId: CHAIN, genesisTimeMs: 1_796_000_000_000, setAt: () => members }, 3);
const { header, commit, validators } = chain.at(3);

function refusal(run: () => unknown): { code: LightErrorCode; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof LightClientError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error("expected a refusal, but it was accepted");
}

describe("verifyCommit", () => {
  it("accepts a commit signed by the whole set, and says how much power signed", () => {
    const v = verifyCommit(CHAIN, header, commit, validators);
    expect(v).toMatchObject({ height: 3, signedPower: 40n, totalPower: 40n });
    expect(v.blockHash).toEqual(blockHash(header));
    // The node's own check agrees.
    expect(nodeVerifyCommit(CHAIN, validators, 3, blockHash(header), commit)).toBeUndefined();
  });

  it("refuses too little power: 2 of 4 equal validators, and exactly 2/3", () => {
    const half = signCommit(CHAIN, header, keys.slice(0, 2));
    expect(refusal(() => verifyCommit(CHAIN, header, half, validators))).toEqual({
      code: "INSUFFICIENT_POWER",
      message: "commit at height 3 is signed by 20 of 40 voting power; more than 2/3 is needed",
    });
    const three = buildLightChain({
      chainId: CHAIN,
      genesisTimeMs: 0,
      setAt: () => keys.slice(0, 3).map((validator) => ({ validator, power: 1 })),
      signersAt: () => keys.slice(0, 2),
    }, 1).at(1);
    expect(refusal(() => verifyCommit(CHAIN, three.header, three.commit, three.validators)).code).toBe("INSUFFICIENT_POWER");
    expect(verifyCommit(CHAIN, header, signCommit(CHAIN, header, keys.slice(0, 3)), validators).signedPower).toBe(30n);
  });

  it("refuses a forged signature", () => {
    const forged = structuredClone(commit);
    forged.signatures[1].signature[7] ^= 1;
    const r = refusal(() => verifyCommit(CHAIN, header, forged, validators));
    expect(r.code).toBe("INVALID_SIGNATURE");
    expect(r.message).toMatch(/the signature of [0-9a-f]{40} is not a valid precommit by its key/);
  });

  it("refuses a signature moved to another validator's slot", () => {
    const swapped = structuredClone(commit);
    swapped.signatures[0].signature = commit.signatures[1].signature;
    expect(refusal(() => verifyCommit(CHAIN, header, swapped, validators)).code).toBe("INVALID_SIGNATURE");
  });

  it("refuses a signature from a non-member, even alongside a quorum", () => {
    const outsider = signCommit(CHAIN, header, [...keys.slice(0, 4), keys[5]]);
    const r = refusal(() => verifyCommit(CHAIN, header, outsider, validators));
    expect(r.code).toBe("UNKNOWN_SIGNER");
    expect(r.message).toContain("who is not in the validator set of that height");
  });

  it("refuses a duplicate signer", () => {
    const twice = structuredClone(commit);
    twice.signatures = [commit.signatures[0], commit.signatures[0], commit.signatures[1]];
    expect(refusal(() => verifyCommit(CHAIN, header, twice, validators)).code).toBe("DUPLICATE_SIGNER");
  });

  it("refuses a wrong chain id: a header of another chain, and signatures made for another chain", () => {
    expect(refusal(() => verifyCommit("opl-other", header, commit, validators))).toEqual({
      code: "WRONG_CHAIN",
      message: `header at height 3 is for chain "${CHAIN}", expected "opl-other"`,
    });
    const elsewhere = signCommit("opl-other", header, keys.slice(0, 4));
    expect(refusal(() => verifyCommit(CHAIN, header, elsewhere, validators)).code).toBe("INVALID_SIGNATURE");
  });

  it("refuses a header with a changed state root (the commit is for another block)", () => {
    const changed: Header = { ...header, stateRoot: new Uint8Array(32).fill(7) };
    const r = refusal(() => verifyCommit(CHAIN, changed, commit, validators));
    expect(r.code).toBe("HASH_MISMATCH");
    expect(r.message).toMatch(/^commit at height 3 is for block [0-9a-f]{64}, but the header hashes to [0-9a-f]{64}$/);
  });

  it("refuses a commit for another height", () => {
    expect(refusal(() => verifyCommit(CHAIN, header, { ...commit, height: 4 }, validators)).code).toBe("WRONG_HEIGHT");
  });

  it("refuses a validator set that does not hash to the header's", () => {
    const more = validators.map((v, i) => (i === 0 ? { ...v, power: 1000 } : v));
    const r = refusal(() => verifyCommit(CHAIN, header, commit, more));
    expect(r.code).toBe("VALIDATOR_SET_MISMATCH");
    expect(r.message).toMatch(/^the validator set of height 3 hashes to \w{64}, but the header says \w{64}$/);
    expect(refusal(() => verifyCommit(CHAIN, header, commit, validators.slice(1))).code).toBe("VALIDATOR_SET_MISMATCH");
  });

  it("refuses a set whose address is not its key's, even when the header names that set", () => {
    const lying = [...validators.slice(0, 3), { ...validators[3], address: keys[5].address }];
    const h: Header = { ...header, validatorsHash: validatorsHash(lying) };
    const r = refusal(() => verifyCommit(CHAIN, h, signCommit(CHAIN, h, keys.slice(0, 3)), lying));
    expect(r.code).toBe("VALIDATOR_SET_MISMATCH");
    expect(r.message).toContain("not derived from its public key");
  });

  it("sums power exactly beyond 2^53: one unit decides", () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const big: Member[] = [MAX, MAX, MAX, 1].map((power, i) => ({ validator: keys[i], power }));
    const b = buildLightChain({ chainId: CHAIN, genesisTimeMs: 0, setAt: () => big }, 1).at(1);
    const by = (i: number[]) => signCommit(CHAIN, b.header, i.map((k) => keys[k]));
    // (2 MAX + 1) * 3 > (3 MAX + 1) * 2 by exactly 1; in floating point both sides are equal.
    expect(verifyCommit(CHAIN, b.header, by([0, 1, 3]), b.validators).signedPower).toBe(2n * BigInt(MAX) + 1n);
    expect(refusal(() => verifyCommit(CHAIN, b.header, by([0, 1]), b.validators)).code).toBe("INSUFFICIENT_POWER");
  });
});

describe("verifyCommit with a trusted set (the skipping rule)", () => {
  // The header's own set is validators 2..5; the trusted (older) set is 0..3, so 2 and 3 are in both.
  const later: Member[] = keys.slice(2, 6).map((validator) => ({ validator, power: 10 }));
  const b = buildLightChain({ chainId: CHAIN, genesisTimeMs: 0, setAt: () => later }, 1).at(1);
  const trusted = members.map(asValidator);
  const trustedCheck = (c: Commit, trust: TrustOptions) => verifyCommit(CHAIN, b.header, c, b.validators, trust);

  it("counts only signers of the trusted set: 2 of its 4 is more than 1/3", () => {
    const v = verifyCommit(CHAIN, b.header, b.commit, b.validators, { trustedValidators: trusted });
    expect(v).toMatchObject({ signedPower: 40n, trustedSignedPower: 20n, trustedTotalPower: 40n });
  });

  it("refuses when too little of the trusted set signed, before the 2/3 check", () => {
    const oneShared = signCommit(CHAIN, b.header, keys.slice(3, 6)); // only validator 3 is trusted
    const r = refusal(() => verifyCommit(CHAIN, b.header, oneShared, b.validators, { trustedValidators: trusted }));
    expect(r).toEqual({
      code: "INSUFFICIENT_TRUSTED_POWER",
      message: "header at height 1 is signed by 10 of the trusted set's 40 voting power; more than 1/3 is needed to skip to it",
    });
    const level = { numerator: 2, denominator: 3 };
    expect(refusal(() => trustedCheck(b.commit, { trustedValidators: trusted, level })).code)
      .toBe("INSUFFICIENT_TRUSTED_POWER");
  });

  it("counts trusted power before verifying any signature; signatures are verified before acceptance", () => {
    const oneShared = signCommit(CHAIN, b.header, keys.slice(3, 6));
    oneShared.signatures.forEach((sig) => (sig.signature[0] ^= 1)); // all forged: too little trust is said first
    expect(refusal(() => trustedCheck(oneShared, { trustedValidators: trusted })).code).toBe("INSUFFICIENT_TRUSTED_POWER");
    const forged = structuredClone(b.commit);
    forged.signatures[3].signature[0] ^= 1; // enough trusted power claimed, but a forged signature
    expect(refusal(() => trustedCheck(forged, { trustedValidators: trusted })).code).toBe("INVALID_SIGNATURE");
    const twice = { ...b.commit, signatures: [b.commit.signatures[0], b.commit.signatures[0], b.commit.signatures[1]] };
    expect(refusal(() => trustedCheck(twice, { trustedValidators: trusted })).code).toBe("DUPLICATE_SIGNER");
  });

  it("matches trusted members by address AND key", () => {
    const otherKeys = trusted.map((v) => ({ ...v, pubkey: keys[0].pubkey }));
    expect(refusal(() => verifyCommit(CHAIN, b.header, b.commit, b.validators, { trustedValidators: otherKeys })).code)
      .toBe("INSUFFICIENT_TRUSTED_POWER");
  });

  it("refuses a trust level outside [1/3, 1]", () => {
    const levels = [[1, 4], [4, 3], [1, 0]].map(([numerator, denominator]) => ({ numerator, denominator }));
    for (const level of levels) {
      expect(refusal(() => trustedCheck(b.commit, { trustedValidators: trusted, level })).code).toBe("OUT_OF_RANGE");
    }
  });
});

describe("verifyCommit agrees with the node's check (consensus/validator-set.ts)", () => {
  // Random powers, signers and damage: both accept, or both refuse.
  const damage = fc.constantFrom("none", "flip", "duplicate", "outsider", "round", "time", "drop-all");
  it("on random commits and tamperings", () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 4, maxLength: 4 }),
      fc.subarray([0, 1, 2, 3], { minLength: 0 }),
      damage,
      fc.nat(),
      (powers, signerIdx, harm, n) => {
        const set: Member[] = powers.map((power, i) => ({ validator: keys[i], power }));
        const b = buildLightChain({ chainId: CHAIN, genesisTimeMs: 0, setAt: () => set }, 1).at(1);
        const c = signCommit(CHAIN, b.header, [...signerIdx.map((i) => keys[i]), ...(harm === "outsider" ? [keys[5]] : [])]);
        const k = c.signatures.length === 0 ? -1 : n % c.signatures.length;
        if (harm === "flip" && k >= 0) c.signatures[k].signature[n % 64] ^= 1 << (n % 8);
        if (harm === "duplicate" && k >= 0) c.signatures.push(c.signatures[k]);
        if (harm === "round") c.round = 1;
        if (harm === "time" && k >= 0) c.signatures[k].timeMs += 1;
        if (harm === "drop-all") c.signatures = [];
        const node = nodeVerifyCommit(CHAIN, b.validators, 1, blockHash(b.header), c);
        let light: string | undefined;
        try {
          verifyCommit(CHAIN, b.header, c, b.validators);
        } catch (err) {
          if (!(err instanceof LightClientError)) throw err;
          light = err.message;
        }
        expect(light === undefined, `node: ${node}; light: ${light}`).toBe(node === undefined);
      },
    ), { numRuns: 60 });
  });
});
