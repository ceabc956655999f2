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

/** How often our messages of the current height are sent again, unless the driver is told otherwise. */
export const DEFAULT_REBROADCAST_MS = 1000;

/**
 * Most relayed votes sent a second (a quarter of what a peer may send us a second, leaving the rest to our
 * own and fresh messages): at 100 validators the votes of two rounds come to 400 and the proof of a lock adds
 * up to 200 (equivocators' conflicting votes come last, up to SignedVotes' share each). Past the bound, each
 * tick sends the next part, so all go out within a few ticks, and an honest relay is never taken for a flood.
 */
export const MAX_RELAYED_VOTES_PER_SECOND = CONSENSUS_MESSAGES_PER_SECOND / 4;

/**
 * This validator's own messages of the current height, for the consensus driver: each is sent once what
 * makes it safe is durable (its WAL records and the signer state: see OwnSignatures), never before, and then
 * kept to be sent again on each re-broadcast tick while its height lasts, with the votes of others a peer
 * may lack (see resend), so a lost message or a healed partition does not stall the chain. The driver's
 * queue goes on while a message waits for the disk; a height ends only once every message of ours is
 * released (`released`). A failed write is fatal: nothing is sent.
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
  private readonly relayedPerTick: number;
  /** Where the next tick's relayed votes start, when there are more than relayedPerTick. */
  private relayOffset = 0;
  /** "height/round" at the last tick: votes are relayed only from the second tick in the same round on. */
  private lastTickAt = "";

  constructor(deps: {
    network?: ConsensusNetwork;
    committedHeight: () => number;
    currentRound: () => number;
    stopped: () => boolean;
    /** Votes of other validators to relay on a tick: see resend. */
    relayed?: () => readonly ConsensusMessage[];
    /** How often resend is called (the relay's bound is per second). */
    rebroadcastMs?: number;
    onFail: (err: unknown) => void;
  }) {
    this.network = deps.network;
    this.committedHeight = deps.committedHeight;
    this.currentRound = deps.currentRound;
    this.stopped = deps.stopped;
    this.relayed = deps.relayed ?? (() => []);
    const perSecond = MAX_RELAYED_VOTES_PER_SECOND * ((deps.rebroadcastMs ?? DEFAULT_REBROADCAST_MS) / 1000);
    this.relayedPerTick = Math.max(1, Math.floor(perSecond));
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
   * while its round lasts, last: re-sending that every second would crowd out the votes it is meant to help.
   * And no re-send is queued for a peer whose stream still has bytes waiting (a slow link still carrying the
   * first copy): it would only put votes behind megabytes of duplicates.
   *
   * From the second tick in the same round on (a round that lasts: maybe waiting for a vote a peer lacks; a
   * healthy chain moves on before), `relayed` too: the prevotes of the quorum behind our lock and valid value,
   * whatever their round, and the votes we hold of other validators of the current and previous round, at
   * most MAX_RELAYED_VOTES_PER_SECOND. Tendermint decides after GST only if what one correct node received
   * reaches every correct node (the paper's gossip; CometBFT's reactor sends a peer the votes it lacks of these
   * rounds): a re-proposal names its proof-of-lock round, and a peer prevotes it only once it holds that
   * round's quorum; a Byzantine validator's precommit that reached one correct node may be the one the others
   * need to decide. Re-sending only our own votes, a peer that lost one of them (or its WAL: a validator
   * syncing again) waited for good: the simulator with the node's gossip (test/sim, gossip "own") leaves
   * heights undecided in 138 seeds of 1,500 (4 validators, 1 Byzantine) and 49 of 300 (7, 2), and
   * test/integration/proof-of-lock-relay.test.ts stalled two real drivers. A peer drops a vote it holds
   * before checking its signature.
   */
  resend(): void {
    const net = this.network;
    if (net === undefined || this.stopped()) return;
    this.ticks++;
    const height = this.committedHeight();
    net.broadcast({ type: "status", height });
    const round = this.currentRound();
    let proposal: ConsensusMessage | undefined;
    for (const { round: r, message } of this.sent.values()) {
      if (message.type === "proposal" || message.type === "compactProposal") {
        if (r === round && this.ticks % 3 === 0) proposal = message;
      } else if (r >= round - 1) net.broadcast(message, { resend: true });
    }
    const at = `${height}/${round}`;
    if (at === this.lastTickAt) this.relay(net);
    this.lastTickAt = at;
    if (proposal !== undefined) net.broadcast(proposal, { resend: true });
  }

  /** The next relayedPerTick of the driver's votes to relay (all of them, when there are no more). */
  private relay(net: ConsensusNetwork): void {
    const relayed = this.relayed();
    const count = Math.min(relayed.length, this.relayedPerTick);
    const from = relayed.length > count ? this.relayOffset % relayed.length : 0;
    for (let i = 0; i < count; i++) net.broadcast(relayed[(from + i) % relayed.length], { resend: true });
    this.relayOffset = from + count;
  }
}
