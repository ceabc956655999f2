import type { Logger } from "pino";
import { encodeAddress } from "../crypto/address.ts";
import { compareBytes, toHex } from "../crypto/bytes.ts";
import type { DuplicateVoteEvidence } from "../proto/consensus.ts";

/**
 * Evidence of equivocation this node holds to put in its proposals: seen by its own engine (two votes of one
 * validator for one step) or received from peers (checked by the driver before it gets here). Bounded: one
 * piece per validator (one is enough to slash it, and a Byzantine validator that equivocates over and over
 * cannot crowd out the evidence against others), at most MAX_EVIDENCE_KEPT pieces, and the ids of at most
 * MAX_EVIDENCE_IDS pieces remembered as seen, so a peer re-sending the same evidence costs nothing.
 * Evidence older than the chain's age limit can no longer be committed: it is neither taken nor kept in
 * place of fresh evidence.
 */
export interface EvidenceRecord {
  evidence: DuplicateVoteEvidence;
  validator: string;
  source: "seen" | "received";
}

export const MAX_EVIDENCE_KEPT = 100;
export const MAX_EVIDENCE_IDS = 10_000;

/** Evidence with its votes in canonical order (block hashes ascending): one equivocation, one encoding. */
export function canonicalEvidence(e: DuplicateVoteEvidence): DuplicateVoteEvidence {
  return compareBytes(e.voteA.vote.blockHash, e.voteB.vote.blockHash) <= 0 ? e : { voteA: e.voteB, voteB: e.voteA };
}

/** One equivocation's id: the step it was at and the validator (both votes share them). */
function evidenceId(v: { height: number; round: number; type: number; validatorAddress: Uint8Array }): string {
  return `${v.height}/${v.round}/${v.type}/${toHex(v.validatorAddress)}`;
}

export class EvidencePool {
  readonly records: EvidenceRecord[] = [];
  private readonly seen = new Set<string>();
  private readonly maxAgeBlocks: () => number;
  private readonly committedHeight: () => number;
  private readonly log: Logger;

  /**
   * `maxAgeBlocks`: the chain's evidence age limit in force, read each time (none if undefined); `committedHeight`: the chain's
   * latest committed height, which ages the evidence.
   */
  constructor(deps: { maxAgeBlocks?: () => number; committedHeight: () => number; log: Logger }) {
    this.maxAgeBlocks = deps.maxAgeBlocks ?? (() => Number.MAX_SAFE_INTEGER);
    this.committedHeight = deps.committedHeight;
    this.log = deps.log;
  }

  /** Whether evidence from `height` can still be committed in the next block. */
  fresh(height: number): boolean {
    return this.committedHeight() + 1 - height <= this.maxAgeBlocks();
  }

  /**
   * Whether this equivocation is of no use here (asked before its signatures are checked): already had, too
   * old, or its validator has a fresh piece against it already (add would not keep it: one slashes it). A
   * Byzantine validator signing conflicting votes in round after round cost two signature checks per piece.
   */
  known(evidence: DuplicateVoteEvidence): boolean {
    const v = evidence.voteA.vote;
    if (this.seen.has(evidenceId(v)) || !this.fresh(v.height)) return true;
    const validator = encodeAddress(v.validatorAddress);
    const held = this.records.find((r) => r.validator === validator);
    return held !== undefined && this.fresh(held.evidence.voteA.vote.height);
  }

  /** Takes checked evidence; false if it was already had, too old, or its validator's piece is still fresh. */
  add(evidence: DuplicateVoteEvidence, source: EvidenceRecord["source"]): boolean {
    const e = canonicalEvidence(evidence);
    const v = e.voteA.vote;
    if (this.known(e)) return false;
    this.seen.add(evidenceId(v));
    if (this.seen.size > MAX_EVIDENCE_IDS) this.seen.delete(this.seen.values().next().value as string);
    const validator = encodeAddress(v.validatorAddress);
    const held = this.records.findIndex((r) => r.validator === validator);
    if (held >= 0) {
      if (this.fresh(this.records[held].evidence.voteA.vote.height)) return false;
      this.records.splice(held, 1);
    }
    this.records.push({ evidence: e, validator, source });
    if (this.records.length > MAX_EVIDENCE_KEPT) this.records.shift();
    this.log.warn(
      { height: v.height, round: v.round, type: v.type, validator, source },
      "equivocation: a validator signed two different votes for one step",
    );
    return true;
  }

  /** The evidence to put in a proposal (the application keeps what is still includable). */
  list(): DuplicateVoteEvidence[] {
    return this.records.map((r) => r.evidence);
  }
}
