import { describe, expect, it } from "vitest";
import { SyncPeers } from "../../node/sync-peers.ts";

/** Block sync's view of its peers' claims, on a clock the test moves. */
const clock = { ms: 0 };
const peers = () => new SyncPeers({ distrustMs: 30_000, busyRetryMs: 1_000, emptyAnswersMs: 20_000 }, () => clock.ms);

describe("SyncPeers", () => {
  it("asks only peers that claim the block and are not resting; a rest ends after busyRetryMs", () => {
    clock.ms = 0;
    const p = peers();
    p.claim("a", 10);
    p.claim("b", 5);
    expect(p.best).toBe(10);
    expect(p.ahead(6).map(([peer]) => peer)).toEqual(["a"]);
    p.answeredNothing("a");
    expect(p.ahead(6)).toEqual([]);
    expect(p.best).toBe(10); // a busy server's claim stands
    clock.ms = 1_000;
    expect(p.ahead(6).map(([peer]) => peer)).toEqual(["a"]);
  });

  it("drops the claim of a peer whose answers stay empty past emptyAnswersMs, and ignores its claims a while", () => {
    clock.ms = 0;
    const p = peers();
    p.claim("a", 1_000_000);
    p.answeredNothing("a");
    clock.ms = 19_999;
    p.answeredNothing("a");
    expect(p.count).toBe(1);
    clock.ms = 20_000;
    p.answeredNothing("a");
    expect(p.count).toBe(0);
    p.claim("a", 1_000_000);
    expect(p.count).toBe(0); // distrusted for distrustMs
    clock.ms = 50_000;
    p.claim("a", 1_000_000);
    expect(p.count).toBe(1);
    // Serving blocks ends the run of empty answers: the next empty one only rests it.
    p.served("a");
    p.answeredNothing("a");
    expect(p.count).toBe(1);
  });

  it("forgets a disconnected peer's claim and rest, not its distrust", () => {
    clock.ms = 0;
    const p = peers();
    p.claim("a", 10);
    p.distrust("a");
    p.forget("a");
    p.claim("a", 10);
    expect(p.count).toBe(0);
    expect(p.heardAny).toBe(true);
  });
});
