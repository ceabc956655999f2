import type { ConsensusMessage } from "../proto/p2p.ts";

/** Where consensus messages go; the node wires it to the consensus gossip protocol. */
export interface ConsensusNetwork {
  /** `resend`: a copy of a message sent before; not queued for a peer that still has bytes waiting. */
  broadcast(message: ConsensusMessage, opts?: { resend?: boolean }): void;
}

/**
 * Most consensus messages one peer may send us a second (the gossip's token bucket: node/network.ts); ours to a
 * peer stay within it too.
 */
export const CONSENSUS_MESSAGES_PER_SECOND = 500;

/**
 * Most relayed votes a re-broadcast tick sends (a quarter of what a peer may send a second, leaving the rest to
 * our own and fresh messages): at 100 validators the votes of two rounds and the proof of a lock can come to
 * 600; past the bound, each tick sends the next part, so all go out within a few ticks, and an honest relay is
 * never taken for a flood.
 */
export const MAX_RELAYED_VOTES_PER_TICK = CONSENSUS_MESSAGES_PER_SECOND / 4;

/**
 * This validator's own messages of the current height, for the consensus driver: each is sent once what
 * makes it safe is durable (its WAL records and the signer state: see OwnSignatures), never before, and then
 * kept to be sent again on each re-broadcast tick while its height lasts, so a lost message or a healed
 * partition does not stall the chain. The driver's queue goes on while a message waits for the disk; a
 * height ends only once every message of ours is released (`released`). A failed write is fatal: nothing
 * is sent.
 */
export class ConsensusOutbox {
  private readonly network: ConsensusNetwork | undefined;
  private readonly committedHeight: () => number;
  private readonly currentRound: () => number;
  private readonly stopped: () => boolean;
  private readonly relayed: () => readonly ConsensusMessage[];
  private readonly onFail: (err: unknown) => void;
  /** Own messages signed and not yet released (their records not yet durable). */
  private readonly releasing = new Set<Promise<void>>();
  /** Own messages of the current height as sent, by "step/round", for re-broadcast. */
  private readonly sent = new Map<string, { round: number; message: ConsensusMessage }>();
  private ticks = 0;
  /** Where the next tick's relayed votes start, when there are more than MAX_RELAYED_VOTES_PER_TICK. */
  private relayOffset = 0;

  constructor(deps: {
    network?: ConsensusNetwork;
    committedHeight: () => number;
    currentRound: () => number;
    stopped: () => boolean;
    /** Votes of other validators (and ours) to relay on each tick: see resend. */
    relayed?: () => readonly ConsensusMessage[];
    onFail: (err: unknown) => void;
  }) {
    this.network = deps.network;
    this.committedHeight = deps.committedHeight;
    this.currentRound = deps.currentRound;
    this.stopped = deps.stopped;
    this.relayed = deps.relayed ?? (() => []);
    this.onFail = deps.onFail;
  }

  /**
   * Sends `message` (keyed "step/round") once `durable` resolves and keeps it for re-broadcast. `quiet`: a
   * message replayed from the WAL is not broadcast at once; it goes out with the next re-broadcast, as before
   * the crash.
   */
  send(key: string, round: number, message: ConsensusMessage, durable: Promise<unknown>, quiet = false): void {
    const release = durable.then(() => {
      if (this.stopped()) return;
      this.sent.set(key, { round, message });
      if (!quiet) this.network?.broadcast(message);
    });
    this.releasing.add(release);
    release.then(
      () => this.releasing.delete(release),
      (err: unknown) => this.onFail(err),
    );
  }

  /** Resolves once every message sent so far is durable and released; throws if one failed. */
  async released(): Promise<void> {
    await Promise.all([...this.releasing]);
  }

  /** Resolves once every message sent so far is released or failed (a stopping node waits for them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.releasing]);
  }

  /** A new height: the last one's messages are no longer sent again. */
  clear(): void {
    this.sent.clear();
  }

  /**
   * One re-broadcast tick: our height (so peers behind can sync) and our votes of the current and previous
   * round. Our proposal (its block's tx hashes: up to ~625 KiB) is sent again only every third tick and only
   * while its round lasts: re-sending that every second would crowd out the votes it is meant to help. And no
   * re-send is queued for a peer whose stream still has bytes waiting (a slow link still carrying the first
   * copy): it would only put votes behind megabytes of duplicates.
   *
   * And `relayed`: the votes this node holds of other validators (its own too) of the current and previous
   * round, and the prevotes of the quorum behind its lock and valid value, whatever their round. Tendermint
   * decides after GST only if what one correct node received reaches every correct node (the paper's gossip;
   * CometBFT's reactor sends a peer the votes it lacks of these rounds): a re-proposal names its proof-of-lock
   * round, and a peer prevotes it only once it holds that round's quorum; a Byzantine validator's precommit
   * that reached one correct node may be the one the others need to decide. Re-sending only our own votes, a
   * peer that lost one of them (or its WAL: a validator syncing again) waited for good: the simulator with the
   * node's gossip (test/sim, gossip "node") found heights never decided in 90 seeds of 1,500 (4 validators, 1
   * Byzantine) and 29 of 300 (7, 2), and test/integration/proof-of-lock-relay.test.ts stalls two real drivers.
   * A peer drops a vote it holds before checking its signature; at most two rounds' votes and two rounds'
   * prevotes of each validator, within SignedVotes' share of each per height.
   */
  resend(): void {
    const net = this.network;
    if (net === undefined || this.stopped()) return;
    this.ticks++;
    net.broadcast({ type: "status", height: this.committedHeight() });
    const round = this.currentRound();
    for (const { round: r, message } of this.sent.values()) {
      const proposal = message.type === "proposal" || message.type === "compactProposal";
      const due = proposal ? r === round && this.ticks % 3 === 0 : r >= round - 1;
      if (due) net.broadcast(message, { resend: true });
    }
    const relayed = this.relayed();
    const count = Math.min(relayed.length, MAX_RELAYED_VOTES_PER_TICK);
    const from = relayed.length > count ? this.relayOffset % relayed.length : 0;
    for (let i = 0; i < count; i++) net.broadcast(relayed[(from + i) % relayed.length], { resend: true });
    this.relayOffset = from + count;
  }
}
