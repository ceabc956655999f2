import { describe, expect, it } from "vitest";
import { CONSENSUS_MESSAGES_PER_SECOND, ConsensusOutbox, MAX_RELAYED_VOTES_PER_SECOND } from "../../node/consensus-outbox.ts";
import { PREVOTE, type SignedVote } from "../../proto/consensus.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";

/**
 * The driver's outbox alone, with a recording network and promises the test resolves: nothing leaves before
 * it is durable, a failed write is fatal and sends nothing, and the re-broadcast tick sends the status, the
 * votes of this round and the last, and the proposal only every third tick while its round lasts.
 */
const ADDRESS = new Uint8Array(20);

function vote(round: number): ConsensusMessage {
  const sv: SignedVote = {
    vote: { type: PREVOTE, height: 3, round, blockHash: new Uint8Array(0), timeMs: 1, validatorAddress: ADDRESS },
    signature: new Uint8Array(64),
  };
  return { type: "vote", vote: sv };
}

function setup() {
  const sent: { message: ConsensusMessage; resend: boolean }[] = [];
  const failures: unknown[] = [];
  const state = { round: 0, stopped: false, relayed: [] as ConsensusMessage[] };
  const outbox = new ConsensusOutbox({
    network: { broadcast: (message, opts) => void sent.push({ message, resend: opts?.resend === true }) },
    committedHeight: () => 2,
    currentRound: () => state.round,
    stopped: () => state.stopped,
    relayed: () => state.relayed,
    onFail: (err) => failures.push(err),
  });
  const kinds = () => sent.map((s) => (s.message.type === "vote" ? `vote${s.message.vote.vote.round}` : s.message.type));
  return { outbox, sent, failures, state, kinds };
}

function deferred() {
  let resolve = () => {};
  let reject: (err: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("the consensus outbox", () => {
  it("sends a message only once it is durable, and a height ends only once all are released", async () => {
    const { outbox, sent } = setup();
    const disk = deferred();
    outbox.send("2/0", 0, vote(0), disk.promise);
    let released = false;
    const done = outbox.released().then(() => (released = true));
    await Promise.resolve();
    expect(sent).toEqual([]);
    expect(released).toBe(false);
    disk.resolve();
    await done;
    expect(sent).toHaveLength(1);
    expect(sent[0].resend).toBe(false);
  });

  it("a failed write is fatal and sends nothing", async () => {
    const { outbox, sent, failures } = setup();
    const disk = deferred();
    outbox.send("2/0", 0, vote(0), disk.promise);
    disk.reject(new Error("EIO"));
    await expect(outbox.released()).rejects.toThrow(/EIO/);
    await outbox.settled();
    outbox.resend();
    expect(sent.filter((s) => s.message.type === "vote")).toEqual([]);
    expect(String(failures[0])).toMatch(/EIO/);
  });

  it("a replayed message waits for the re-broadcast; a tick re-sends this round's and the last round's votes", async () => {
    const { outbox, kinds, state } = setup();
    outbox.send("2/0", 0, vote(0), Promise.resolve(), true);
    outbox.send("2/1", 1, vote(1), Promise.resolve(), true);
    outbox.send("2/2", 2, vote(2), Promise.resolve(), true);
    await outbox.released();
    expect(kinds()).toEqual([]);
    state.round = 2;
    outbox.resend();
    expect(kinds()).toEqual(["status", "vote1", "vote2"]);
  });

  it("relays the votes the driver names (others', whatever their round) from the second tick in a round on", async () => {
    const { outbox, sent, kinds, state } = setup();
    state.round = 7;
    state.relayed = [vote(2), vote(2)]; // two validators' prevotes of the lock's round
    outbox.resend();
    expect(kinds()).toEqual(["status"]); // a round just begun: a healthy chain moves on before the next tick
    sent.length = 0;
    outbox.resend();
    expect(kinds()).toEqual(["status", "vote2", "vote2"]);
    expect(sent.filter((s) => s.message.type === "vote").every((s) => s.resend)).toBe(true);
    state.round = 8;
    sent.length = 0;
    outbox.resend();
    expect(kinds()).toEqual(["status"]); // the next round: again from its second tick
  });

  it("relays at most MAX_RELAYED_VOTES_PER_SECOND a second, the next part on the next tick, so all go out", () => {
    const { outbox, sent, state } = setup(); // one tick a second (the default)
    const total = MAX_RELAYED_VOTES_PER_SECOND + 50;
    state.relayed = Array.from({ length: total }, (_, i) => vote(i));
    outbox.resend(); // the round's first tick relays nothing
    const seen = new Set<number>();
    for (let tick = 0; tick < 2; tick++) {
      sent.length = 0;
      outbox.resend();
      const votes = sent.filter((s) => s.message.type === "vote");
      expect(votes.length).toBe(MAX_RELAYED_VOTES_PER_SECOND);
      for (const s of votes) if (s.message.type === "vote") seen.add(s.message.vote.vote.round);
    }
    expect(seen.size).toBe(total); // two ticks covered every one
    expect(MAX_RELAYED_VOTES_PER_SECOND).toBeLessThan(CONSENSUS_MESSAGES_PER_SECOND / 2);
  });

  it("re-sends the proposal every third tick while its round lasts, and nothing of a height once cleared", async () => {
    const { outbox, sent, kinds, state } = setup();
    const proposal = { type: "compactProposal" } as unknown as ConsensusMessage; // only its type is read here
    outbox.send("1/0", 0, proposal, Promise.resolve(), true);
    await outbox.released();
    for (let i = 0; i < 6; i++) outbox.resend();
    expect(kinds().filter((k) => k === "compactProposal")).toHaveLength(2);
    state.round = 1;
    sent.length = 0;
    for (let i = 0; i < 3; i++) outbox.resend();
    expect(kinds()).toEqual(["status", "status", "status"]);
    outbox.send("2/1", 1, vote(1), Promise.resolve());
    await outbox.released();
    outbox.clear();
    sent.length = 0;
    outbox.resend();
    expect(kinds()).toEqual(["status"]);
  });
});
