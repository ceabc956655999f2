import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FeeSplit, ppmOf, splitFee, type SplitWeight } from "../../../state/modules/attribution/split.ts";
import { PPM } from "../../../state/params.ts";

const total = (s: FeeSplit) => s.treasury + s.owner + s.parts.reduce((acc, p) => acc + p.amount, 0n);

/** What each (weight, contribution) pair received, so two splits can be compared entry by entry. */
function amounts(s: FeeSplit, weightIds: readonly number[] = []): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const p of s.parts) {
    const key = `${weightIds[p.weight] ?? p.weight}/${p.contributionId}`;
    out.set(key, (out.get(key) ?? 0n) + p.amount);
  }
  return out;
}

const feeArb = fc.bigInt({ min: 0n, max: 10n ** 30n });

/** (protocol, owner) ppm pairs whose sum is at most 1e6, with the edges (0 and 1e6) likely. */
const sharesArb = fc
  .integer({ min: 0, max: PPM })
  .chain((protocol) => fc.tuple(fc.constant(protocol), fc.integer({ min: 0, max: PPM - protocol })));

/** A contribution weight (one recipient) or a whole version of 1..20 contributions, some slashed. */
const recipientsArb = fc.oneof(
  fc.integer({ min: 1, max: 1000 }).map((id) => [id]),
  fc
    .array(fc.boolean(), { minLength: 1, maxLength: 20 })
    .map((slashed) => slashed.flatMap((isSlashed, i) => (isSlashed ? [] : [5000 + i]))),
);

const ppmArb = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: PPM }));

/** Up to 64 weights whose ppm sum stays within 1e6 (weights that would overflow it are dropped). */
const weightsArb = fc.array(fc.record({ ppm: ppmArb, recipients: recipientsArb }), { maxLength: 64 }).map((ws) => {
  let sum = 0;
  return ws.filter((w) => {
    if (sum + w.ppm > PPM) return false;
    sum += w.ppm;
    return true;
  });
});

describe("splitFee examples", () => {
  it("splits 1000 with 10% protocol, 30% owner, weights 60% / 30% of the data share", () => {
    const s = splitFee(1000n, 100_000, 300_000, [
      { ppm: 600_000, recipients: [1] },
      { ppm: 300_000, recipients: [2] },
    ]);
    // data share 600: 360 and 180 to the contributions; treasury 100 protocol + 60 unattributed
    expect(s).toEqual({
      treasury: 160n,
      owner: 300n,
      parts: [
        { weight: 0, contributionId: 1, amount: 360n },
        { weight: 1, contributionId: 2, amount: 180n },
      ],
    });
  });

  it("sends whole-version rounding dust and a version with no unslashed contribution to the treasury", () => {
    const s = splitFee(1001n, 0, 0, [
      { ppm: 500_000, recipients: [7, 8, 9] },
      { ppm: 500_000, recipients: [] },
    ]);
    // 1001 * 0.5 = 500 (floor), 500 / 3 = 166 each; the treasury gets 1001 - 498
    expect(s.parts.map((p) => p.amount)).toEqual([166n, 166n, 166n]);
    expect(s.treasury).toBe(503n);
    expect(total(s)).toBe(1001n);
  });

  it("a zero fee pays nobody", () => {
    expect(splitFee(0n, 100_000, 300_000, [{ ppm: PPM, recipients: [1] }])).toEqual({
      treasury: 0n,
      owner: 0n,
      parts: [],
    });
  });

  it("refuses inputs no caller may pass", () => {
    expect(() => splitFee(-1n, 0, 0, [])).toThrow();
    expect(() => splitFee(1n, 600_000, 500_000, [])).toThrow();
    expect(() => splitFee(1n, 0, 0, [{ ppm: 700_000, recipients: [1] }, { ppm: 400_000, recipients: [2] }])).toThrow();
  });
});

describe("splitFee properties", () => {
  it("always sums exactly to the fee, with no negative part and at least the protocol share to the treasury", () => {
    fc.assert(
      fc.property(feeArb, sharesArb, weightsArb, (fee, [protocolPpm, ownerPpm], weights) => {
        const s = splitFee(fee, protocolPpm, ownerPpm, weights);
        expect(total(s)).toBe(fee);
        expect(s.owner).toBe(ppmOf(fee, ownerPpm));
        expect(s.treasury >= ppmOf(fee, protocolPpm)).toBe(true);
        for (const p of s.parts) expect(p.amount > 0n).toBe(true);
        for (const p of s.parts) expect(weights[p.weight].recipients).toContain(p.contributionId);
      }),
      { numRuns: 500 },
    );
  });

  it("each recipient gets at most its weight's exact share of the data share", () => {
    fc.assert(
      fc.property(feeArb, sharesArb, weightsArb, (fee, [protocolPpm, ownerPpm], weights) => {
        const s = splitFee(fee, protocolPpm, ownerPpm, weights);
        const data = fee - ppmOf(fee, protocolPpm) - ppmOf(fee, ownerPpm);
        for (const p of s.parts) {
          const n = BigInt(weights[p.weight].recipients.length);
          // amount <= data * ppm / 1e6 / n, compared without rounding
          expect(p.amount * n * BigInt(PPM) <= data * BigInt(weights[p.weight].ppm)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("under-attributing (dropping a weight or lowering its ppm) never pays anyone more; the treasury only grows", () => {
    const caseArb = fc
      .tuple(feeArb, sharesArb, weightsArb.filter((ws) => ws.length > 0))
      .chain(([fee, shares, weights]) =>
        fc.tuple(
          fc.constant(fee),
          fc.constant(shares),
          fc.constant(weights),
          fc.integer({ min: 0, max: weights.length - 1 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
        ),
      );
    fc.assert(
      fc.property(caseArb, ([fee, [protocolPpm, ownerPpm], weights, index, keep]) => {
        const lowered = Math.floor(weights[index].ppm * keep); // 0 drops the weight
        const fewer: SplitWeight[] = [];
        const ids: number[] = []; // index in `fewer` -> index in `weights`
        weights.forEach((w, i) => {
          if (i !== index) {
            fewer.push(w);
            ids.push(i);
          } else if (lowered > 0) {
            fewer.push({ ...w, ppm: lowered });
            ids.push(i);
          }
        });
        const before = splitFee(fee, protocolPpm, ownerPpm, weights);
        const after = splitFee(fee, protocolPpm, ownerPpm, fewer);
        expect(after.owner).toBe(before.owner);
        expect(after.treasury >= before.treasury).toBe(true);
        const was = amounts(before);
        const now = amounts(after, ids);
        for (const key of new Set([...was.keys(), ...now.keys()])) {
          const [previous, amount] = [was.get(key) ?? 0n, now.get(key) ?? 0n];
          if (key.startsWith(`${index}/`)) expect(amount <= previous).toBe(true);
          else expect(amount).toBe(previous);
        }
      }),
      { numRuns: 300 },
    );
  });
});
