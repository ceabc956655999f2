import pino from "pino";
import { describe, expect, it } from "vitest";
import { PENALTY, PeerScores, SWEEP_INTERVAL_MS } from "../../p2p/peer-scores.ts";

const log = pino({ level: "silent" });

describe("peer scores", () => {
  it("disconnects on every offence, bans at the threshold for a while, and forgives with time", () => {
    let now = 0;
    const disconnected: string[] = [];
    const scores = new PeerScores({ log, disconnect: (p) => disconnected.push(p), now: () => now });
    scores.penalize("a", PENALTY.invalidMessage, "bad frame");
    expect(disconnected).toEqual(["a"]);
    expect(scores.score("a")).toBe(-50);
    expect(scores.isBanned("a")).toBe(false);
    scores.penalize("a", PENALTY.invalidMessage, "bad frame again");
    expect(scores.isBanned("a")).toBe(true);
    now += 10 * 60_000 + 1; // the ban is over, and 10 minutes at 10 points a minute forgave everything
    expect(scores.isBanned("a")).toBe(false);
    expect(scores.score("a")).toBe(0);
  });

  it("an offence costs a bounded step, not a walk over every peer remembered; recovered peers are still forgotten", () => {
    let now = 0;
    let clockReads = 0;
    const scores = new PeerScores({ log, disconnect: () => {}, now: () => (clockReads++, now) });
    for (let i = 0; i < 5_000; i++) scores.penalize(`p${i}`, PENALTY.unresponsive, "timeout");
    expect(scores.size).toBe(5_000);
    // Each offence reads the clock a few times, not once per remembered peer (a walk per offence read it
    // 5,000 times for the last of these: 12.5 million reads in all).
    expect(clockReads).toBeLessThan(5_000 * 10);
    clockReads = 0;
    scores.penalize("late", PENALTY.unresponsive, "timeout");
    expect(clockReads).toBeLessThan(10);
    // A minute on, every 5-point offence is forgiven: the next offence after the sweep interval forgets them.
    now += 60_000 + SWEEP_INTERVAL_MS;
    scores.penalize("later", PENALTY.unresponsive, "timeout");
    expect(scores.size).toBe(1);
    expect(scores.score("later")).toBe(-PENALTY.unresponsive);
  });

  it("a clock set back neither deepens a score nor lengthens a ban", () => {
    let now = 10 * 60 * 60_000;
    const scores = new PeerScores({ log, disconnect: () => {}, now: () => now });
    scores.penalize("a", PENALTY.invalidMessage, "bad frame");
    now -= 60 * 60_000; // an hour back: the time "regained" is negative
    expect(scores.score("a")).toBe(-PENALTY.invalidMessage);
    scores.penalize("b", PENALTY.badBlock, "bad block");
    expect(scores.isBanned("b")).toBe(true);
    now -= 60 * 60_000; // still banned, but for at most banMs from this clock's now, not an hour more
    expect(scores.isBanned("b")).toBe(true);
    now += 10 * 60_000 + 1;
    expect(scores.isBanned("b")).toBe(false);
  });

  it("never bans a persistent peer, only disconnects it", () => {
    const disconnected: string[] = [];
    const scores = new PeerScores({ log, disconnect: (p) => disconnected.push(p), persistentPeers: new Set(["v"]) });
    scores.penalize("v", PENALTY.badBlock, "bad block");
    scores.penalize("v", PENALTY.badBlock, "bad block");
    expect(scores.isBanned("v")).toBe(false);
    expect(disconnected).toEqual(["v", "v"]);
  });
});
