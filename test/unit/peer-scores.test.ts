import pino from "pino";
import { describe, expect, it } from "vitest";
import { PENALTY, PeerScores } from "../../p2p/peer-scores.ts";

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

  it("never bans a persistent peer, only disconnects it", () => {
    const disconnected: string[] = [];
    const scores = new PeerScores({ log, disconnect: (p) => disconnected.push(p), isProtected: (p) => p === "v" });
    scores.penalize("v", PENALTY.badBlock, "bad block");
    scores.penalize("v", PENALTY.badBlock, "bad block");
    expect(scores.isBanned("v")).toBe(false);
    expect(disconnected).toEqual(["v", "v"]);
  });
});
