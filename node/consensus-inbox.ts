import type { Application } from "../consensus/application.ts";
import { MAX_PROPOSALS_PER_ROUND, MAX_ROUNDS_AHEAD } from "../consensus/engine/engine.ts";
import type { Proposal, ValueId, Vote } from "../consensus/engine/types.ts";
import { toBase64, toHex } from "../crypto/bytes.ts";
import type { Block } from "../proto/block.ts";
import type { DuplicateVoteEvidence, SignedVote } from "../proto/consensus.ts";
import type { ReceivedConsensusMessage } from "../proto/p2p.ts";
import {
  checkEvidence,
  checkSignedProposal,
  checkVote,
  type CompactBlock,
  proposedBlock,
  proposedCompactBlock,
  validatorIndex,
  valueOf,
} from "./consensus-checks.ts";
import { CheckedProposals } from "./checked-proposals.ts";
import type { VoteSig } from "./consensus-wal-record.ts";
import type { EvidencePool } from "./evidence-pool.ts";
import type { ProposerSchedules } from "./proposer-schedules.ts";
import { proposalTxLimit } from "./proposal-tx-limit.ts";
import type { SignedVotes } from "./signed-votes.ts";

/**
 * The consensus driver's inbox checks: what a peer's consensus message is, authenticated, before anything
 * of it is queued for the engine. Cheap checks first, so a flood costs little: a message for a height other
 * than the current and next (and than the engine takes, while it lags the chain), or a round past the
 * engine's window (MAX_ROUNDS_AHEAD, the engine's own constant), is dropped before its signature is checked; a vote already held, a proposal already taken in,
 * one from a validator out of its turn, or past MAX_PROPOSALS_PER_ROUND blocks for its round (an equivocating
 * proposer) unless a quorum backs it, is dropped before its block is decoded. Throws PeerMisbehaviour (consensus-checks.ts) for what no
 * honest peer sends: a bad signature, a block that is not the one signed. Nothing here changes the engine.
 */
export type CheckedMessage =
  /** Of no use here (outside the window, already had, out of turn): the caller may charge its bytes. */
  | { kind: "dropped" }
  /** A vote for the last decided height: the driver's late precommits take it (checked there). */
  | { kind: "lastHeightVote"; vote: SignedVote }
  | { kind: "vote"; vote: Vote; signed: SignedVote; sig: VoteSig }
  | { kind: "proposal"; proposal: Proposal; id: string; block: Block; bytes: Uint8Array }
  | { kind: "compactProposal"; proposal: Proposal; id: string; compact: CompactBlock }
  | { kind: "evidence"; evidence: DuplicateVoteEvidence }
  | { kind: "status" };

/** Where the engine is: its height (0 before the first starts) and round. */
export interface EngineWindow {
  height: number;
  round: number;
  /**
   * The start of the chain's next height is queued (block sync ended): the engine is about to catch up with
   * the chain, so a message of that height is checked and waits for it, not judged by the engine's height.
   */
  starting?: boolean;
}

/**
 * How long a compact proposal whose txs could not be had is not assembled again: a third of the default
 * propose timeout, so an honest proposer's copy that comes later in the round (its txs fetched by then) is
 * still taken, and a copy sent over and over costs one check per second, not one per message.
 */
export const ASSEMBLY_RETRY_MS = 1000;

export class ConsensusInbox {
  private readonly app: Pick<Application, "info" | "validators">;
  private readonly schedules: Pick<ProposerSchedules, "at">;
  private readonly engine: () => EngineWindow;
  private readonly backed: (height: number, round: number, value: ValueId) => boolean;
  private readonly votes: Pick<SignedVotes, "has" | "full">;
  private readonly evidence: Pick<EvidencePool, "known">;
  private readonly maxBlockTxs: () => number;
  /** Proposals already taken in, by "height/round/value": re-broadcasts are dropped unverified. */
  private readonly proposalsSeen = new Set<string>();
  /**
   * The blocks (value ids) proposed for each "height/round", counted when they arrive, before their blocks
   * are decoded: past MAX_PROPOSALS_PER_ROUND (all the engine keeps) an equivocating proposer's next block
   * is dropped undecoded, so it cannot make us decode and hash full blocks without end.
   */
  private readonly proposalValues = new Map<string, Set<ValueId>>();
  /**
   * Compact proposals whose assembly failed (their txs could not be had), by "id|sender", with when: a copy from
   * that sender within ASSEMBLY_RETRY_MS is dropped before its signature is checked and its block decoded again
   * (a sender of proposals naming txs that do not exist made us verify, decode and hash 20,000 tx hashes per
   * copy, never charged). Copies from other peers are still taken: one that forwards the proposal may have
   * its txs. Bounded as the proposals and the peers are, and forgotten with their heights.
   */
  private readonly failedAssemblies = new Map<string, number>();
  /** Compact proposals checked: a copy that is the very message is answered the same, unchecked again. */
  private readonly checkedCompact = new CheckedProposals();
  private readonly now: () => number;

  constructor(deps: {
    app: Pick<Application, "info" | "validators">;
    schedules: Pick<ProposerSchedules, "at">;
    engine: () => EngineWindow;
    /**
     * Whether a quorum of the engine's votes backs `value` in that round (Engine.quorumBacks, at the engine's
     * height): a proposal past MAX_PROPOSALS_PER_ROUND is taken then, as the engine keeps it.
     */
    backed: (height: number, round: number, value: ValueId) => boolean;
    votes: Pick<SignedVotes, "has" | "full">;
    evidence: Pick<EvidencePool, "known">;
    /**
     * The chain's maxBlockTxs in force (read each time): a proposed block for the next height with more is
     * refused before it is decoded (one beyond: the structural cap, see proposalTxLimit).
     */
    maxBlockTxs: () => number;
    /** A monotonic clock in ms (performance.now by default): how long ago an assembly failed. */
    now?: () => number;
  }) {
    this.now = deps.now ?? (() => performance.now());
    this.app = deps.app;
    this.schedules = deps.schedules;
    this.engine = deps.engine;
    this.backed = deps.backed;
    this.votes = deps.votes;
    this.evidence = deps.evidence;
    this.maxBlockTxs = deps.maxBlockTxs;
  }

  /** What `m` is, authenticated (see the class comment); throws PeerMisbehaviour for what no honest peer sends. */
  check(m: ReceivedConsensusMessage, from = ""): CheckedMessage {
    const info = this.app.info();
    const current = info.height + 1;
    switch (m.type) {
      case "vote": {
        const v = m.vote.vote;
        if (v.height === current - 1) return { kind: "lastHeightVote", vote: m.vote };
        if (this.ofNoUse(v.height, v.round, current)) return { kind: "dropped" };
        const value = valueOf(v.blockHash);
        const validators = this.app.validators(v.height);
        const known = validatorIndex(validators, v.validatorAddress);
        if (known >= 0 && this.votes.has(v.height, v.type, v.round, known, value)) return { kind: "dropped" }; // a re-send
        // Its validator's share of the height is used up: the vote would not be kept, so it is not checked
        // (each copy cost a signature check and a queued job before, and was never charged to its sender).
        if (known >= 0 && this.votes.full(v.height, known)) return { kind: "dropped" };
        const validator = checkVote(info.chainId, validators, m.vote);
        const vote: Vote = { type: v.type, height: v.height, round: v.round, value, validator };
        return { kind: "vote", vote, signed: m.vote, sig: { timeMs: v.timeMs, signature: toBase64(m.vote.signature) } };
      }
      case "proposal":
      case "compactProposal": {
        const p = m.proposal.proposal;
        // The small part first: nothing of the block is decoded for a proposal that is of no use here.
        if (this.ofNoUse(p.height, p.round, current)) return { kind: "dropped" };
        const value = toHex(p.blockHash);
        const id = `${p.height}/${p.round}/${value}`;
        if (this.proposalsSeen.has(id)) return { kind: "dropped" };
        const failedAt = this.failedAssemblies.get(`${id}|${from}`);
        if (m.type === "compactProposal" && failedAt !== undefined && this.now() - failedAt < ASSEMBLY_RETRY_MS) {
          return { kind: "dropped" };
        }
        const same = this.checkedCompact.find(id, m);
        if (same !== undefined) return same;
        const validator = checkSignedProposal(info.chainId, this.app.validators(p.height), m.proposal);
        // Only the round's proposer may propose; a validator signing out of turn is ignored, not relayed.
        if (validator !== this.schedules.at(p.height).proposer(p.round)) return { kind: "dropped" };
        if (!this.countProposal(p.height, p.round, value)) return { kind: "dropped" }; // one too many: not decoded
        const proposal: Proposal = { height: p.height, round: p.round, value, polRound: p.polRound, validator };
        const maxTxs = proposalTxLimit(p.height, info.height, this.maxBlockTxs());
        if (m.type === "proposal") {
          const block = proposedBlock(m.proposal, m.blockBytes, maxTxs);
          return { kind: "proposal", proposal, id, block, bytes: m.blockBytes };
        }
        const compact = proposedCompactBlock(m.proposal, m.blockBytes, m.txHashes, maxTxs);
        const checked = { kind: "compactProposal" as const, proposal, id, compact };
        this.checkedCompact.keep(id, m, checked);
        return checked;
      }
      case "evidence": {
        const a = m.evidence.voteA.vote;
        if (a.height > current + 1) return { kind: "dropped" }; // cannot judge a height this far ahead
        if (this.evidence.known(m.evidence)) return { kind: "dropped" };
        checkEvidence(info.chainId, this.app.validators(a.height), m.evidence);
        return { kind: "evidence", evidence: m.evidence };
      }
      case "status":
        return { kind: "status" }; // block sync's business
    }
  }

  /**
   * On the queue, as a checked proposal is handed to the engine: false if the engine would drop it now,
   * it was taken in already, or its round has all the proposals the engine keeps and no quorum backs its
   * value; else it counts as seen.
   */
  admitProposal(id: string, height: number, round: number): boolean {
    if (!this.engineTakes(height, round) || this.proposalsSeen.has(id)) return false;
    const prefix = `${height}/${round}/`;
    const perRound = [...this.proposalsSeen].filter((k) => k.startsWith(prefix)).length;
    // An equivocating proposer: the engine keeps no more, unless a quorum backs this one.
    if (perRound >= MAX_PROPOSALS_PER_ROUND && !this.backed(height, round, id.slice(prefix.length))) return false;
    this.proposalsSeen.add(id);
    return true;
  }

  /** Whether the engine, as it is now, takes an input of this height and round (rather than dropping it). */
  engineTakes(height: number, round: number): boolean {
    const h = this.engine().height;
    return h > 0 && (height === h || height === h + 1) && this.roundInWindow(height, round);
  }

  /** A compact proposal's txs could not be had: `from`'s copies of it are dropped unchecked for ASSEMBLY_RETRY_MS. */
  assemblyFailed(id: string, from = ""): void {
    this.failedAssemblies.set(`${id}|${from}`, this.now());
  }

  /** Forgets the proposals of heights before `height`. */
  forgetBelow(height: number): void {
    const below = (k: string) => Number(k.slice(0, k.indexOf("/"))) < height;
    for (const k of this.proposalsSeen) if (below(k)) this.proposalsSeen.delete(k);
    for (const k of this.failedAssemblies.keys()) if (below(k)) this.failedAssemblies.delete(k);
    for (const k of this.proposalValues.keys()) if (below(k)) this.proposalValues.delete(k);
    this.checkedCompact.forgetBelow(height);
  }

  /**
   * Whether a vote or proposal of this height and round is of no use here: not of the chain's next two
   * heights (`current` is the next), past the rounds the engine keeps, or, once the engine has begun, of a
   * height it does not take now. While the engine lags the chain (a block just committed, its next height
   * not started; or blocks synced), a message two heights past the engine's was checked (a signature, a
   * whole block decoded), then dropped on the queue unseen, never charged to its sender. Before the engine's
   * first height (a restart replaying its WAL), and while the start of the chain's next height is queued
   * (block sync ended), messages are checked and wait on the queue for it.
   */
  private ofNoUse(height: number, round: number, current: number): boolean {
    if (height < current || height > current + 1 || !this.roundInWindow(height, round)) return true;
    const e = this.engine();
    return e.height > 0 && e.starting !== true && !this.engineTakes(height, round);
  }

  /** Rounds the engine keeps: up to MAX_ROUNDS_AHEAD ahead of its round, or of round 0 for the next height. */
  private roundInWindow(height: number, round: number): boolean {
    const e = this.engine();
    const base = height === e.height ? Math.max(0, e.round) : 0;
    return round <= base + MAX_ROUNDS_AHEAD;
  }

  /**
   * Counts a proposed block for its round; false if the round already has all the engine keeps, others, and
   * no quorum backs this one (an equivocator's blocks sent first must not push out the one the network
   * votes for: the engine keeps that one past its cap, and so it is decoded past ours).
   */
  private countProposal(height: number, round: number, value: ValueId): boolean {
    const key = `${height}/${round}`;
    let values = this.proposalValues.get(key);
    if (values === undefined) {
      values = new Set();
      this.proposalValues.set(key, values);
    }
    if (values.has(value)) return true;
    if (values.size >= MAX_PROPOSALS_PER_ROUND && !this.backed(height, round, value)) return false;
    values.add(value);
    return true;
  }
}
