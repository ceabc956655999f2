import pino from "pino";
import { describe, expect, it } from "vitest";
import { canonicalEvidence, EvidencePool, MAX_EVIDENCE_IDS, MAX_EVIDENCE_KEPT } from "../../node/evidence-pool.ts";
import { type DuplicateVoteEvidence, PREVOTE, type SignedVote } from "../../proto/consensus.ts";

/**
 * The evidence a validator keeps for its proposals: one piece per equivocating validator, none too old to
 * commit, bounded in pieces and in remembered ids whatever peers send. The pool trusts its caller to have
 * checked the signatures (the driver does), so the votes here carry placeholder signatures.
 */
const log = pino({ level: "silent" });

function validatorAddress(n: number): Uint8Array {
  const a = new Uint8Array(20);
  new DataView(a.buffer).setUint32(0, n);
  return a;
}

function vote(validator: number, height: number, round: number, hashByte: number): SignedVote {
  return {
    vote: {
      type: PREVOTE,
      height,
      round,
      blockHash: new Uint8Array(32).fill(hashByte),
      timeMs: 1,
      validatorAddress: validatorAddress(validator),
    },
    signature: new Uint8Array(64),
  };
}

/** Validator `validator` voting for two blocks at one step. */
function equivocation(validator: number, height: number, round = 0): DuplicateVoteEvidence {
  return { voteA: vote(validator, height, round, 2), voteB: vote(validator, height, round, 1) };
}

function pool(maxAgeBlocks: number, committed: { height: number }) {
  return new EvidencePool({ maxAgeBlocks: () => maxAgeBlocks, committedHeight: () => committed.height, log });
}

describe("the evidence pool", () => {
  it("keeps evidence in canonical order and takes the same equivocation once, in either order", () => {
    const p = pool(100, { height: 10 });
    const e = equivocation(1, 10);
    expect(p.add(e, "received")).toBe(true);
    expect(p.list()).toEqual([canonicalEvidence(e)]);
    expect(p.list()[0].voteA.vote.blockHash[0]).toBe(1); // lower block hash first
    expect(p.known({ voteA: e.voteB, voteB: e.voteA })).toBe(true);
    expect(p.add({ voteA: e.voteB, voteB: e.voteA }, "seen")).toBe(false);
    expect(p.records).toHaveLength(1);
    expect(p.records[0].source).toBe("received");
  });

  it("holds one piece per validator while it is fresh, and replaces it once it is too old to commit", () => {
    const committed = { height: 10 };
    const p = pool(5, committed);
    expect(p.add(equivocation(1, 10, 0), "seen")).toBe(true);
    expect(p.add(equivocation(1, 10, 1), "seen")).toBe(false); // one is enough to slash it
    // So the next piece against it, at any other round, is of no use: known before its signatures are checked.
    expect(p.known(equivocation(1, 10, 7))).toBe(true);
    expect(p.known(equivocation(3, 10, 7))).toBe(false);
    expect(p.add(equivocation(2, 10, 1), "seen")).toBe(true); // another validator's is kept too
    committed.height = 20; // the first pieces can no longer be committed
    expect(p.fresh(10)).toBe(false);
    expect(p.add(equivocation(1, 19), "received")).toBe(true);
    expect(p.records.map((r) => r.evidence.voteA.vote.height).sort()).toEqual([10, 19]);
    expect(p.records.filter((r) => r.evidence.voteA.vote.height === 19)).toHaveLength(1);
  });

  it("refuses evidence too old to be committed", () => {
    const p = pool(5, { height: 100 });
    expect(p.known(equivocation(1, 90))).toBe(true);
    expect(p.add(equivocation(1, 90), "received")).toBe(false);
    expect(p.add(equivocation(1, 96), "received")).toBe(true); // 101 - 96 = 5 blocks old: still includable
  });

  it(`keeps at most ${MAX_EVIDENCE_KEPT} pieces, dropping the oldest, and remembers at most ${MAX_EVIDENCE_IDS} ids`, () => {
    const p = pool(1_000_000, { height: 10 });
    for (let v = 0; v < MAX_EVIDENCE_KEPT + 20; v++) expect(p.add(equivocation(v, 10), "received")).toBe(true);
    expect(p.records).toHaveLength(MAX_EVIDENCE_KEPT);
    expect(p.records[0].evidence.voteA.vote.validatorAddress).toEqual(validatorAddress(20));
    // Ids past the bound push the oldest out: the first equivocation is no longer known as seen.
    for (let v = MAX_EVIDENCE_KEPT + 20; v < MAX_EVIDENCE_IDS + 1; v++) p.add(equivocation(v, 10), "received");
    expect(p.known(equivocation(0, 10))).toBe(false);
    expect(p.known(equivocation(MAX_EVIDENCE_IDS, 10))).toBe(true);
    expect(p.records).toHaveLength(MAX_EVIDENCE_KEPT);
  });
});
