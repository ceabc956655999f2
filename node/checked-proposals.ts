import { Buffer } from "node:buffer";
import { encodeProposal } from "../proto/consensus.ts";
import type { ReceivedConsensusMessage } from "../proto/p2p.ts";
import type { CompactBlock } from "./consensus-checks.ts";
import type { Proposal } from "../consensus/engine/types.ts";

/** A compact proposal as the inbox checked it, and the bytes that make a copy the very same message. */
interface Kept {
  height: number;
  proposalBytes: Uint8Array;
  signature: Uint8Array;
  blockBytes: Uint8Array;
  txHashes: Uint8Array;
  checked: { kind: "compactProposal"; proposal: Proposal; id: string; compact: CompactBlock };
}

/**
 * Compact proposals kept: one a round in an honest network; an equivocating proposer's more push the oldest
 * out (each holds up to ~640 KiB of tx hashes).
 */
export const KEPT_PROPOSALS = 8;

/**
 * Compact proposals the consensus inbox checked (signature, and block against its header), so that a copy
 * that is the very message checked (its signed proposal, signature, block bytes and tx hashes equal as
 * bytes) gets the same answer without its signature checked or its block decoded again. Any peer forwards a
 * proposal, and until its txs are assembled (up to a round) every copy was checked in full: a signature and,
 * for 20,000 txs, 20,000 hashes decoded and their merkle root, 48-80 ms of the main thread on this 2-core
 * machine while it was loaded; a new peer id forwarding a copy cost that each time. A byte-equal copy is now
 * answered in 0.11-0.26 ms (both measured three times over 20 copies with a throwaway script).
 */
export class CheckedProposals {
  private readonly byId = new Map<string, Kept>();

  /** The answer to `m` if it is the very compact proposal `id` checked before; undefined otherwise. */
  find(id: string, m: ReceivedConsensusMessage): Kept["checked"] | undefined {
    const kept = this.byId.get(id);
    if (kept === undefined || m.type !== "compactProposal") return undefined;
    const same =
      sameBytes(m.proposal.signature, kept.signature) &&
      sameBytes(m.blockBytes, kept.blockBytes) &&
      sameBytes(m.txHashes, kept.txHashes) &&
      sameBytes(encodeProposal(m.proposal.proposal), kept.proposalBytes);
    return same ? kept.checked : undefined;
  }

  /** Keeps compact proposal `m`, checked as `checked`, under `id` (its first check only). */
  keep(id: string, m: ReceivedConsensusMessage, checked: Kept["checked"]): void {
    if (m.type !== "compactProposal" || this.byId.has(id)) return;
    this.byId.set(id, {
      height: m.proposal.proposal.height,
      proposalBytes: encodeProposal(m.proposal.proposal),
      signature: m.proposal.signature,
      blockBytes: m.blockBytes,
      txHashes: m.txHashes,
      checked,
    });
    if (this.byId.size > KEPT_PROPOSALS) this.byId.delete(this.byId.keys().next().value as string);
  }

  /** Forgets the proposals of heights before `height`. */
  forgetBelow(height: number): void {
    for (const [id, kept] of this.byId) if (kept.height < height) this.byId.delete(id);
  }
}

/** Byte equality by memcmp (node:buffer): a JavaScript loop over 640 KiB of tx hashes took ~0.5 ms. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
