import { describe, expect, it } from "vitest";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { merkleRoot } from "../../crypto/merkle.ts";
import { sha256 } from "../../crypto/hash.ts";
import { type Block, blockHash, commitHash, encodeBlock, txsRoot, type Validator } from "../../proto/block.ts";
import {
  PRECOMMIT,
  PREVOTE,
  proposalSignBytes,
  type SignedVote,
  voteSignBytes,
} from "../../proto/consensus.ts";
import {
  checkEvidence,
  checkProposal,
  checkVote,
  PeerMisbehaviour,
  proposedCompactBlock,
} from "../../node/consensus-checks.ts";
import { compactProposalOf } from "../../proto/p2p.ts";
import { SignedVotes } from "../../node/signed-votes.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

const CHAIN = "opl-test-1";

function validator() {
  const secret = generateSecretKey();
  const pubkey = publicKeyOf(secret);
  return { secret, v: { address: addressFromPublicKey(pubkey), pubkey, power: 1 } as Validator };
}

const [alice, bob, mallory] = [validator(), validator(), validator()];
const set = [alice.v, bob.v];

/** A block whose header commits to its body (txs root, last commit hash, evidence root). */
function block(txs: Uint8Array[]): Block {
  const header = {
    ...sampleHeader(5, 1000),
    txsRoot: txsRoot(txs.map((t) => sha256(t))),
    lastCommitHash: commitHash(undefined),
    evidenceRoot: merkleRoot([]),
  };
  return { header, txs, lastCommit: undefined, evidence: [] };
}

function signedProposal(b: Block, by = alice) {
  const proposal = {
    height: 5,
    round: 0,
    polRound: -1,
    blockHash: blockHash(b.header),
    timeMs: 1000,
    proposerAddress: by.v.address,
  };
  return { proposal, signature: signPortable(proposalSignBytes(CHAIN, proposal), by.secret) };
}

function signedVote(hash: Uint8Array, by = bob, type: 1 | 2 = PREVOTE): SignedVote {
  const vote = { type, height: 5, round: 0, blockHash: hash, timeMs: 1000, validatorAddress: by.v.address };
  return { vote, signature: signPortable(voteSignBytes(CHAIN, vote), by.secret) };
}

describe("authenticating what peers send to consensus", () => {
  it("takes a proposal whose proposer, signature and body all check out", () => {
    const b = block([Uint8Array.of(1), Uint8Array.of(2)]);
    expect(checkProposal(CHAIN, set, signedProposal(b), encodeBlock(b), 2)).toEqual({ validator: 0, block: b });
  });

  it("checks the signed part before the block: junk block bytes cost a stranger one signature check", () => {
    const b = block([Uint8Array.of(1), Uint8Array.of(2)]);
    const junk = new Uint8Array(1000).fill(0x12); // not a block at all
    expect(() => checkProposal(CHAIN, set, signedProposal(b, mallory), junk, 2)).toThrow(/non-validator/);
    expect(() => checkProposal("other-chain", set, signedProposal(b), junk, 2)).toThrow(/invalid proposal signature/);
    // Signed by the proposer, but the bytes are not the block it names, or hold more txs than allowed.
    expect(() => checkProposal(CHAIN, set, signedProposal(b), junk, 2)).toThrow(PeerMisbehaviour);
    expect(() => checkProposal(CHAIN, set, signedProposal(b), encodeBlock(b), 1)).toThrow(/2 txs exceed 1/);
  });

  it("refuses a signed header carrying another body, and other forgeries", () => {
    const b = block([Uint8Array.of(1), Uint8Array.of(2)]);
    const sp = signedProposal(b);
    const swapped: Block = { ...b, txs: [Uint8Array.of(9)] }; // same header (same hash), different txs
    expect(() => checkProposal(CHAIN, set, sp, encodeBlock(swapped), 2)).toThrow(/txs do not match/);
    const withCommit: Block = { ...b, lastCommit: { height: 4, round: 0, blockHash: h32(1), signatures: [] } };
    expect(() => checkProposal(CHAIN, set, sp, encodeBlock(withCommit), 2)).toThrow(/last commit/);
    const other = block([Uint8Array.of(3)]);
    expect(() => checkProposal(CHAIN, set, sp, encodeBlock(other), 2)).toThrow(/not the one it names/);
    expect(() => checkProposal(CHAIN, set, signedProposal(b, mallory), encodeBlock(b), 2)).toThrow(/non-validator/);
    expect(() => checkProposal("other-chain", set, sp, encodeBlock(b), 2)).toThrow(/invalid proposal signature/);
    expect(() => checkProposal(CHAIN, set, sp, encodeBlock(swapped), 2)).toThrow(PeerMisbehaviour);
  });

  it("a compact proposal: its hash count is capped first, then its header and roots checked against the hashes", () => {
    const b = block([Uint8Array.of(1), Uint8Array.of(2)]);
    const sp = signedProposal(b);
    const c = compactProposalOf(sp, b);
    const got = proposedCompactBlock(sp, c.blockBytes, c.txHashes, 2);
    expect(got.header).toEqual(b.header);
    expect(got.txHashes).toEqual(b.txs.map((t) => sha256(t)));
    // More hashes than the chain's maxBlockTxs: refused on the count, before the block is even read.
    const junk = new Uint8Array(9).fill(0xff);
    expect(() => proposedCompactBlock(sp, junk, c.txHashes, 1)).toThrow(/2 hashes; the limit is 1/);
    expect(() => proposedCompactBlock(sp, c.blockBytes, c.txHashes.subarray(0, 33), 2)).toThrow(/32-byte hashes/);
    // Hashes the header does not commit to (reordered, or others): refused before a tx is looked up.
    const swapped = new Uint8Array([...c.txHashes.subarray(32), ...c.txHashes.subarray(0, 32)]);
    expect(() => proposedCompactBlock(sp, c.blockBytes, swapped, 2)).toThrow(/tx hashes do not match the txs root/);
    // The block it carries must be the one it names, and carry no txs (they go by hash).
    const other = compactProposalOf(sp, block([Uint8Array.of(3)]));
    expect(() => proposedCompactBlock(sp, other.blockBytes, c.txHashes, 2)).toThrow(/not the one it names/);
    expect(() => proposedCompactBlock(sp, encodeBlock(b), c.txHashes, 2)).toThrow(/carries 2 txs/);
    const lastCommit = { height: 4, round: 0, blockHash: h32(1), signatures: [] };
    const withCommit = compactProposalOf(sp, { ...b, lastCommit });
    expect(() => proposedCompactBlock(sp, withCommit.blockBytes, c.txHashes, 2)).toThrow(/last commit/);
  });

  it("votes: a member's valid signature gives its index; strangers and forgeries are refused", () => {
    expect(checkVote(CHAIN, set, signedVote(h32(1)))).toBe(1);
    expect(() => checkVote(CHAIN, set, signedVote(h32(1), mallory))).toThrow(/non-validator/);
    const forged = { ...signedVote(h32(1)), vote: { ...signedVote(h32(1)).vote, round: 1 } };
    expect(() => checkVote(CHAIN, set, forged)).toThrow(/invalid vote signature/);
  });

  it("evidence: two signed votes of one validator for one step and two blocks; anything else is refused", () => {
    expect(checkEvidence(CHAIN, set, { voteA: signedVote(h32(1)), voteB: signedVote(h32(2)) })).toBe(1);
    expect(() => checkEvidence(CHAIN, set, { voteA: signedVote(h32(1)), voteB: signedVote(h32(1)) })).toThrow(
      /same block/,
    );
    expect(() =>
      checkEvidence(CHAIN, set, { voteA: signedVote(h32(1)), voteB: signedVote(h32(2), alice) }),
    ).toThrow(/two signers/);
    expect(() =>
      checkEvidence(CHAIN, set, { voteA: signedVote(h32(1)), voteB: signedVote(h32(2), bob, PRECOMMIT) }),
    ).toThrow(/same height, round and type/);
  });
});

describe("the signed votes of a height", () => {
  it("bounds each validator's share, but always keeps this node's own votes for its commit", () => {
    const votes = new SignedVotes();
    let stored = 0;
    for (let i = 0; i < 200; i++) if (votes.add(1, `v${i}`, signedVote(h32(i % 250)))) stored++;
    expect(stored).toBe(64); // an equivocator fills only its own share
    expect(votes.add(0, "mine", signedVote(h32(7), alice))).toBe(true); // others are unaffected
    expect(votes.add(1, "own", signedVote(h32(8)), true)).toBe(true); // own votes are never refused
    votes.pruneBelow(6);
    expect(votes.has(5, PREVOTE, 0, 1, "own")).toBe(false);
    expect(votes.add(1, "again", signedVote(h32(9)))).toBe(true); // the share is per height
  });
});
