import type { Logger } from "pino";
import { toHex } from "../crypto/bytes.ts";
import { ByteBudget } from "../p2p/byte-budget.ts";
import { Gossip, PeerFlooding } from "../p2p/gossip.ts";
import type { P2pHost } from "../p2p/host.ts";
import { TxFetch } from "../p2p/tx-fetch.ts";
import { PENALTY, type PeerScores } from "../p2p/peer-scores.ts";
import {
  type ConsensusMessage,
  decodeConsensusMessage,
  encodeConsensusMessage,
  MAX_CONSENSUS_MESSAGE_BYTES,
} from "../proto/p2p.ts";
import type { ChainDb } from "../state/store/chain-db.ts";
import { BlockSync } from "./block-sync.ts";
import { answerTxFetch, type AssemblyStats, ProposalAssembler, txFetchAnswerBound } from "./compact-proposal.ts";
import type { TxVerifier } from "./tx-verifier.ts";
import type { ChainApp } from "./chain-app.ts";
import type { ConsensusDriver, ConsensusNetwork } from "./consensus-driver.ts";
import { CONSENSUS_MESSAGES_PER_SECOND } from "./consensus-outbox.ts";
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
  private txFetch: TxFetch | undefined;
  private assembler: ProposalAssembler | undefined;
  /**
   * Bytes of consensus frames this node queued for its peers, each copy counted: all of them, and the
   * first sends of its proposals alone (re-sends and votes are the rest).
   */
  readonly sent = { consensusBytes: 0, proposalBytes: 0 };

  /**
   * Consensus messages sent before start() (none in practice: the driver starts after) are dropped. A
   * re-send skips peers whose stream still has bytes waiting (see Gossip's BroadcastOptions).
   */
  broadcast(message: ConsensusMessage, opts: { resend?: boolean } = {}): void {
    const bytes = encodeConsensusMessage(message);
    const copies = this.consensus?.broadcast(bytes, { skipBacklogged: opts.resend === true }) ?? 0;
    this.sent.consensusBytes += copies * bytes.byteLength;
    const proposal = message.type === "proposal" || message.type === "compactProposal";
    if (proposal && opts.resend !== true) this.sent.proposalBytes += copies * bytes.byteLength;
  }

  /** How compact proposals were rebuilt here: txs found in the mempool, fetched, failures. */
  get proposalStats(): AssemblyStats {
    return this.assembler?.stats ?? ProposalAssembler.noStats();
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
    /** The chain's maxBlockTxs in force (read each time: governance may change it). */
    maxBlockTxs: () => number;
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
        lacksDecidedBlock: () => driver.lacksDecidedBlock(),
        durableWrites: (durable) => deps.db.setDurable(durable),
        flushWrites: () => deps.db.flush(),
      },
    });
    await sync.start();
    this.sync = sync;
    // Compact proposals: peers fetch the txs they lack from us, from the blocks the driver holds; we fetch
    // ours from the peer that sent the proposal.
    const txFetch = await TxFetch.start({
      host,
      log,
      serve: (_peer, req) => answerTxFetch(driver.knownBlock(toHex(req.blockHash)), req),
      // The budgets are checked against this before the answer is built (a lookup per hash asked).
      bound: (_peer, req) => txFetchAnswerBound(driver.knownBlock(toHex(req.blockHash)), req),
      onMisbehaviour,
      persistentPeers: scores.persistentPeers,
    });
    this.txFetch = txFetch;
    const assembler = new ProposalAssembler({
      mempool: deps.mempool,
      fetch: (peer, req, within) => txFetch.fetch(peer, req, within),
      maxBlockTxs: deps.maxBlockTxs,
      lastHeight: () => app.info().height,
      onMisbehaviour: (peer, reason, kind) =>
        scores.penalize(peer, kind === "invalid" ? PENALTY.invalidMessage : PENALTY.unresponsive, reason),
      log,
    });
    this.assembler = assembler;
    driver.useProposalAssembler((c, peer) => assembler.assemble(c, peer));
    const wasted = new ByteBudget(WASTED_CONSENSUS_BYTES);
    this.consensus = await Gossip.start(
      host,
      {
        protocol: CONSENSUS_PROTOCOL,
        maxMessageBytes: MAX_CONSENSUS_MESSAGE_BYTES,
        maxQueuedBytes: CONSENSUS_QUEUE_BYTES,
        maxMessagesPerSecond: CONSENSUS_MESSAGES_PER_SECOND,
        persistentPeers: scores.persistentPeers,
        onMessage: (peer, bytes) => {
          const m = decodeConsensusMessage(bytes);
          if (m.type === "status") sync.onStatus(peer, m.height);
          else if (driver.receive(m, peer) === "dropped" && !wasted.charge(peer, bytes.byteLength)) {
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
    this.relay = await TxRelay.start(host, deps.mempool, log, onMisbehaviour, {
      relayPeerTxs: deps.relayPeerTxs,
      persistentPeers: scores.persistentPeers,
    });
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
    await this.consensus?.stop();
    await this.txFetch?.stop();
    await this.relay?.stop();
  }
}
