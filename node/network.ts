import type { Logger } from "pino";
import { ByteBudget } from "../p2p/byte-budget.ts";
import { Gossip, PeerFlooding } from "../p2p/gossip.ts";
import type { P2pHost } from "../p2p/host.ts";
import { PENALTY, type PeerScores } from "../p2p/peer-scores.ts";
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  encodeConsensusMessage,
  MAX_CONSENSUS_MESSAGE_BYTES,
} from "../proto/p2p.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { BlockSync } from "./block-sync.ts";
import type { TxVerifier } from "./tx-verifier.ts";
import type { ChainApp } from "./chain-app.ts";
import type { ConsensusDriver, ConsensusNetwork } from "./consensus-driver.ts";
import type { Mempool } from "./mempool.ts";
import { TxRelay } from "./tx-relay.ts";

export const CONSENSUS_PROTOCOL = "/opl/consensus/1";

/**
 * Consensus messages of no use to us (heights or rounds outside the window, repeats, out-of-turn proposals)
 * a peer may send before it counts as flooding. Honest peers send some: a peer ahead of us sends its
 * proposals (at most a full block per height it proposes, and a re-send every few seconds) until block sync
 * catches us up. A full proposal per second with a burst of four covers that; a peer streaming junk
 * proposals for other heights runs out within a few frames and is cut off, having cost us only the small
 * part of each (the block of an out-of-window proposal is never decoded).
 */
export const WASTED_CONSENSUS_BYTES = {
  bytesPerSecond: MAX_CONSENSUS_MESSAGE_BYTES,
  burstBytes: 4 * MAX_CONSENSUS_MESSAGE_BYTES,
};

/**
 * Most bytes queued for one peer's consensus stream before it is dropped: room for two maximal proposals
 * (ours of one round and the next; re-sends are not queued behind a backlog) and the votes behind them.
 * Per peer, so with the host's 100 connections (and 8 MiB of tx gossip each) a node holds at most ~2.5 GiB
 * for peers that all stop reading at once, and each such stream is dropped when it overflows.
 */
export const CONSENSUS_QUEUE_BYTES = 2 * MAX_CONSENSUS_MESSAGE_BYTES + 1024 * 1024;

/**
 * The node's protocols on its libp2p host, wired to the parts they feed: consensus gossip to the consensus
 * driver (and peers' status to block sync), transaction gossip to the mempool, block sync to the driver and
 * the block store. Every offence a protocol detects goes to the peer scores, which disconnect (and may ban).
 */
export class NodeNetwork implements ConsensusNetwork {
  private consensus: Gossip | undefined;
  private relay: TxRelay | undefined;
  private sync: BlockSync | undefined;

  /**
   * Consensus messages sent before start() (none in practice: the driver starts after) are dropped. A
   * re-send skips peers whose stream still has bytes waiting (see Gossip's BroadcastOptions).
   */
  broadcast(message: ConsensusMessage, opts: { resend?: boolean } = {}): void {
    this.consensus?.broadcast(encodeConsensusMessage(message), { skipBacklogged: opts.resend === true });
  }

  get catchingUp(): boolean {
    return this.sync?.catchingUp ?? false;
  }

  get bestPeerHeight(): number {
    return this.sync?.bestPeerHeight ?? 0;
  }

  async start(deps: {
    host: P2pHost;
    scores: PeerScores;
    driver: ConsensusDriver;
    app: ChainApp;
    mempool: Mempool;
    db: ChainDb;
    /** Verifies synced blocks' tx signatures ahead of their execution. */
    verifier?: TxVerifier;
    relayPeerTxs: boolean;
    /** Persistent peers are configured (see BlockSync's catchingUp). */
    expectPeers: boolean;
    /** An error the node cannot go on after (block sync hit a local failure while committing). */
    onFatal: (err: unknown) => void;
    log: Logger;
  }): Promise<void> {
    const { host, scores, driver, app, log } = deps;
    const onMisbehaviour = (peer: string, reason: string, flooding: boolean) =>
      scores.penalize(peer, flooding ? PENALTY.flooding : PENALTY.invalidMessage, reason);
    const sync = new BlockSync({
      host,
      db: deps.db,
      scores,
      log,
      options: { expectPeers: deps.expectPeers },
      onFatal: deps.onFatal,
      verifier: deps.verifier,
      chain: {
        height: () => app.info().height,
        beginSync: () => driver.beginSync(),
        applySynced: (block, commit) => driver.applySynced(block, commit),
        endSync: () => driver.endSync(),
        durableWrites: (durable) => deps.db.setDurable(durable),
        flushWrites: () => deps.db.flush(),
      },
    });
    await sync.start();
    this.sync = sync;
    const wasted = new ByteBudget(WASTED_CONSENSUS_BYTES);
    this.consensus = await Gossip.start(
      host,
      {
        protocol: CONSENSUS_PROTOCOL,
        maxMessageBytes: MAX_CONSENSUS_MESSAGE_BYTES,
        maxQueuedBytes: CONSENSUS_QUEUE_BYTES,
        maxMessagesPerSecond: 500,
        onMessage: (peer, bytes) => {
          const m = decodeConsensusMessage(bytes);
          if (m.type === "status") sync.onStatus(peer, m.height);
          else if (driver.receive(m) === "dropped" && !wasted.charge(peer, bytes.byteLength)) {
            throw new PeerFlooding(
              `more than ${WASTED_CONSENSUS_BYTES.bytesPerSecond} bytes a second of consensus messages of no use` +
              " (other heights or rounds, repeats)",
            );
          }
        },
        onMisbehaviour,
      },
      log,
    );
    this.relay = await TxRelay.start(host, deps.mempool, log, onMisbehaviour, { relayPeerTxs: deps.relayPeerTxs });
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
    await this.consensus?.stop();
    await this.relay?.stop();
  }
}
