import { describe, expect, it } from "vitest";
import {
  ACTIVE_SECONDS,
  RecentStrangers,
  type StrangerShareBounds,
  StrangerShares,
} from "../../p2p/stranger-shares.ts";

/** How many of `tries` takes of one `peer` got. */
function takes(shares: StrangerShares, peer: string, tries: number): number {
  let got = 0;
  for (let i = 0; i < tries; i++) if (shares.take(peer)) got++;
  return got;
}

/**
 * `sybils` strangers taking `sybilAsk` each at the start of every second, then one honest stranger asking
 * `honestAsk`, for `seconds` seconds: what the honest one got each second.
 */
function contest(bounds: StrangerShareBounds, sybils: number, sybilAsk: number, honestAsk: number, seconds: number) {
  let t = 1_000_000;
  const shares = new StrangerShares(bounds, () => t);
  const honest: number[] = [];
  for (let second = 0; second < seconds; second++, t += 1000) {
    for (let i = 0; i < sybils; i++) shares.count(`s${i}`, Math.min(sybilAsk, shares.room(`s${i}`)));
    const got = Math.min(honestAsk, shares.room("honest"));
    shares.count("honest", got);
    honest.push(got);
  }
  return honest;
}

describe("StrangerShares", () => {
  it("a lone stranger takes up to its cap at once, then what it earns: the whole share a second, up to the cap", () => {
    let t = 10_000;
    const shares = new StrangerShares({ share: 40, cap: 10 }, () => t);
    expect(takes(shares, "a", 50)).toBe(10);
    t += 500; // half a second: half the share earned, within the cap
    expect(takes(shares, "a", 50)).toBe(10);
    t += 100;
    expect(takes(shares, "a", 50)).toBe(4);
  });

  it("four strangers that take first every second leave a fifth its part, from its first second on", () => {
    // The share 40, each stranger's cap 10 (block sync's requests): the four get 10, then 8 a second each.
    expect(contest({ share: 40, cap: 10 }, 4, 10, 4, 6)).toEqual([4, 4, 4, 4, 4, 4]);
    // Before, first come, first served: the honest one got nothing in any second.
  });

  it("more strangers than the share has units: each still gets its part over time, the honest one too", () => {
    // 41 ids asking one sync request at the start of every second, where the share is 40 a second: each earns
    // 40/42 of a request a second. A part of "at least one a second" each gave the honest one nothing.
    const honest = contest({ share: 40, cap: 10 }, 41, 1, 1, 40);
    const got = honest.slice(5).reduce((a, b) => a + b, 0);
    expect(got).toBeGreaterThanOrEqual(30); // 35 seconds at 40/42 a second: ~33
  });

  it("a request larger than one second's part is taken once enough credit has built up", () => {
    // A whole block's answer bytes (the cap) while three strangers ask: a third of two blocks a second each.
    let t = 0;
    const block = 1_000;
    const shares = new StrangerShares({ share: 2 * block, cap: block }, () => t);
    shares.room("a");
    shares.room("b");
    expect(shares.fits("c", block)).toBe(false); // c's first credit: a third of the share, 667
    t += 500;
    expect(shares.fits("c", block)).toBe(true); // 667 + 333
    shares.count("c", block);
    expect(shares.fits("c", 1)).toBe(false);
  });

  it("all strangers together take at most ACTIVE_SECONDS shares in a second, however much credit they hold", () => {
    let t = 0;
    const shares = new StrangerShares({ share: 10, cap: 10 }, () => t);
    const peers = Array.from({ length: 8 }, (_, i) => `p${i}`);
    // All asking every second, taking nothing: each earns 10/8 a second, up to the cap of 10.
    for (let second = 0; second < 10; second++, t += 1000) for (const p of peers) shares.room(p);
    for (const p of peers) expect(shares.room(p)).toBe(10);
    const taken = peers.reduce((n, p) => n + takes(shares, p, 10), 0);
    expect(taken).toBe(ACTIVE_SECONDS * 10);
    expect(shares.total).toBe(ACTIVE_SECONDS * 10);
  });

  it("a stranger counts as asking for ACTIVE_SECONDS seconds after it last asked, then no more", () => {
    let t = 5_500;
    const shares = new StrangerShares({ share: 30, cap: 30 }, () => t);
    shares.room("a");
    shares.room("b");
    expect(shares.rate).toBe(15);
    t += (ACTIVE_SECONDS - 1) * 1000; // b asked in the oldest second still counted
    shares.room("a");
    expect(shares.rate).toBe(15);
    t += 1000; // b's second is past the window; a asked in the last one
    expect(shares.active).toBe(1);
    expect(shares.rate).toBe(30);
    t += 10 * 60_000; // a long quiet spell forgets everyone
    expect(shares.active).toBe(0);
  });

  it("a clock stepped back: no one is forgotten, no credit is earned, and strangers are not locked out", () => {
    let t = 10_500;
    const shares = new StrangerShares({ share: 20, cap: 20, burst: 20 }, () => t);
    expect(shares.take("a", 10)).toBe(true); // a: alone, 20 of credit
    expect(shares.take("b", 10)).toBe(true); // b: one of two, 10
    t -= 5_000;
    expect(shares.active).toBe(2);
    expect(shares.room("a")).toBe(10); // what it had left: nothing earned for the step back
    shares.room("c");
    expect(shares.active).toBe(3);
    t += 1000; // a second on from there: credit again
    expect(shares.room("a")).toBe(16); // 10 + 20 / 3
  });
});

describe("StrangerShares in amounts (hashes looked up, answer bytes)", () => {
  it("holds each stranger to its credit, checked before it is counted", () => {
    let t = 0;
    const shares = new StrangerShares({ share: 40_000, cap: 20_000 }, () => t);
    expect(shares.fits("a", 20_000)).toBe(true); // alone: the whole share a second, capped at one peer's bound
    shares.count("a", 20_000);
    expect(shares.fits("b", 20_001)).toBe(false); // two asking: 20,000 each
    expect(shares.take("b", 20_000)).toBe(true);
    expect(shares.total).toBe(40_000);
    t += 1000;
    expect(shares.fits("c", 300)).toBe(true); // a third stranger asks
    expect(shares.fits("a", 20_000)).toBe(false); // so a earned a third of the share this second: 13,333
    expect(shares.fits("a", 13_333)).toBe(true);
    expect(shares.total).toBe(0); // fits counts nothing
    shares.count("c", 300);
    expect(shares.total).toBe(300);
  });
});

describe("StrangerShares.room (gossip: as many of a stranger's messages as fit)", () => {
  it("is the stranger's credit in whole messages, within what is left of the burst", () => {
    let t = 0;
    const shares = new StrangerShares({ share: 20, cap: 20 }, () => t);
    expect(shares.room("a")).toBe(20);
    shares.count("a", 10);
    expect(shares.room("b")).toBe(10); // two sending: 10 each a second
    shares.count("b", 10);
    t += 1000;
    expect(shares.room("c")).toBe(6); // three sending lately: a third each
    expect(shares.room("a")).toBe(16); // 10 left, 6.7 earned
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
