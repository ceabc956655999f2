import { describe, expect, it } from "vitest";
import { ACTIVE_SECONDS, RecentStrangers, StrangerShares } from "../../p2p/stranger-shares.ts";

/** How many of `tries` takes `peer` got. */
function takes(shares: StrangerShares, peer: string, tries: number, share: number): number {
  let got = 0;
  for (let i = 0; i < tries; i++) if (shares.take(peer, share)) got++;
  return got;
}

describe("StrangerShares", () => {
  it("a lone stranger may take the whole share; all strangers together never more", () => {
    let t = 10_000;
    const shares = new StrangerShares(() => t);
    expect(takes(shares, "a", 50, 40)).toBe(40);
    expect(takes(shares, "b", 5, 40)).toBe(0); // the share is spent this second
    t += 1000;
    // A new second: two strangers asking now, a half each.
    expect(takes(shares, "a", 50, 40)).toBe(20);
    expect(takes(shares, "b", 50, 40)).toBe(20);
    expect(shares.active).toBe(2);
  });

  it("a stranger refused still counts among those the share is split for, from the next second on", () => {
    let t = 0;
    const shares = new StrangerShares(() => t);
    for (const p of ["s1", "s2", "s3", "s4"]) expect(takes(shares, p, 10, 40)).toBe(10);
    expect(takes(shares, "honest", 4, 40)).toBe(0);
    t += 1000;
    for (const p of ["s1", "s2", "s3", "s4"]) expect(takes(shares, p, 10, 40)).toBe(8);
    expect(takes(shares, "honest", 10, 40)).toBe(8);
  });

  it("a stranger counts as asking for ACTIVE_SECONDS seconds after it last asked, then no more", () => {
    let t = 5_500;
    const shares = new StrangerShares(() => t);
    shares.take("a", 30);
    shares.take("b", 30);
    t += (ACTIVE_SECONDS - 1) * 1000; // b asked in the oldest second still counted
    expect(takes(shares, "a", 30, 30)).toBe(15);
    t += 1000; // b's second is past the window; a asked in the last one
    expect(shares.active).toBe(1);
    expect(takes(shares, "a", 30, 30)).toBe(30);
    t += 10 * 60_000; // a long quiet spell forgets everyone
    expect(shares.active).toBe(0);
    expect(shares.fairPart(30)).toBe(30);
  });

  it("more strangers than the share: each may still take one, first come, within the share", () => {
    let t = 0;
    const shares = new StrangerShares(() => t);
    const peers = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (const p of peers) shares.take(p, 0); // all of them asked (a share of 0: nothing taken)
    t += 1000;
    expect(shares.fairPart(10)).toBe(1);
    const got = peers.map((p) => takes(shares, p, 3, 10));
    expect(got.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 1));
    expect(got.slice(10)).toEqual([0, 0]);
  });
});

describe("StrangerShares in amounts (hashes looked up, answer bytes)", () => {
  it("holds each stranger to its part of the amount, checked before it is counted", () => {
    let t = 0;
    const shares = new StrangerShares(() => t);
    expect(shares.take("a", 40_000, 20_000)).toBe(true); // alone: the whole share is its part
    expect(shares.fits("b", 40_000, 20_001)).toBe(false); // two asking: 20,000 each
    expect(shares.take("b", 40_000, 20_000)).toBe(true);
    expect(shares.total).toBe(40_000);
    expect(shares.fits("c", 40_000, 1)).toBe(false); // the share is spent
    t += 1000;
    expect(shares.fits("a", 40_000, 20_000)).toBe(false); // three asking: 13,333 each
    expect(shares.fits("c", 40_000, 300)).toBe(true);
    expect(shares.total).toBe(0); // fits counts nothing
    shares.count("c", 300);
    expect(shares.total).toBe(300);
  });
});

describe("StrangerShares.room (gossip: as many of a stranger's messages as fit)", () => {
  it("is what is left of the stranger's part and of the share, whichever is less", () => {
    let t = 0;
    const shares = new StrangerShares(() => t);
    expect(shares.room("a", 20)).toBe(20);
    shares.count("a", 10);
    expect(shares.room("b", 20)).toBe(10); // two sending: 10 each
    shares.count("b", 10);
    expect(shares.room("c", 20)).toBe(0); // the share is spent
    t += 1000;
    expect(shares.room("a", 20)).toBe(6); // three sending lately: a third each
  });
});

describe("RecentStrangers", () => {
  it("splits a share among the strangers seen in the last ACTIVE_SECONDS seconds; with none seen, all of it", () => {
    let t = 0;
    const recent = new RecentStrangers(() => t);
    expect(recent.part(12)).toBe(12);
    recent.saw("a");
    recent.saw("a");
    recent.saw("b");
    expect(recent.count).toBe(2);
    expect(recent.part(12)).toBe(6);
    t += 1000;
    recent.saw("c");
    expect(recent.part(12)).toBe(4);
    t += ACTIVE_SECONDS * 1000; // a, b and c all out of the window
    expect(recent.count).toBe(0);
  });
});
