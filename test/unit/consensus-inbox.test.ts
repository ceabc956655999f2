import { describe, expect, it } from "vitest";
import type { ChainInfo } from "../../consensus/application.ts";
import { MAX_PROPOSALS_PER_ROUND, MAX_ROUNDS_AHEAD } from "../../consensus/engine/engine.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { PeerMisbehaviour } from "../../node/consensus-checks.ts";
import { ASSEMBLY_RETRY_MS, ConsensusInbox, type EngineWindow } from "../../node/consensus-inbox.ts";
import { SignedVotes } from "../../node/signed-votes.ts";
import { toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { type Block, blockHash, encodeBlock, txsRoot, type Validator } from "../../proto/block.ts";
import {
  PREVOTE,
  type Proposal,
  proposalSignBytes,
  type SignedVote,
  type VoteType,
  voteSignBytes,
} from "../../proto/consensus.ts";
import type { ReceivedConsensusMessage } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";

/**
 * The driver's inbox checks alone: a stand-in chain at height 4 (the engine at height 5, round 2), two
 * validators whose messages the test signs (validator 0 proposes every round), a real vote store. Cheap
 * checks come before the signature and the block: what is dropped there is dropped even when forged.
 */
const CHAIN_ID = "opl-test-1";

function member() {
  const secret = generateSecretKey();
  const pubkey = publicKeyOf(secret);
  const validator: Validator = { address: addressFromPublicKey(pubkey), pubkey, power: 10 };
  return { secret, validator };
}
const [p0, p1] = [member(), member()];

function setup(
  engine: EngineWindow = { height: 5, round: 2 },
  maxBlockTxs = 100,
  now?: () => number,
  backed: (height: number, round: number, value: string) => boolean = () => false,
) {
  const info: ChainInfo = {
    chainId: CHAIN_ID,
    height: 4,
    lastBlockHash: new Uint8Array(32),
    lastBlockTimeMs: 1,
    lastCommit: undefined,
  };
  const votes = new SignedVotes();
  const knownEvidence = { known: () => false };
  const inbox = new ConsensusInbox({
    app: { info: () => info, validators: () => [p0.validator, p1.validator] },
    schedules: { at: () => ({ proposer: () => 0 }) as never },
    engine: () => engine,
    backed,
    votes,
    evidence: knownEvidence,
    maxBlockTxs: () => maxBlockTxs,
    now,
  });
  return { inbox, votes };
}

function vote(who: ReturnType<typeof member>, height: number, round: number, forged = false): ReceivedConsensusMessage {
  const v = {
    type: PREVOTE as VoteType,
    height,
    round,
    blockHash: new Uint8Array(0),
    timeMs: 1,
    validatorAddress: who.validator.address,
  };
  const signature = forged ? new Uint8Array(64) : signPortable(voteSignBytes(CHAIN_ID, v), who.secret);
  const sv: SignedVote = { vote: v, signature };
  return { type: "vote", vote: sv };
}

type Member = ReturnType<typeof member>;

function proposal(who: Member, block: Block, round: number, blockBytes = encodeBlock(block)): ReceivedConsensusMessage {
  const p: Proposal = {
    height: block.header.height,
    round,
    polRound: -1,
    blockHash: blockHash(block.header),
    timeMs: block.header.timeMs,
    proposerAddress: who.validator.address,
  };
  const signature = signPortable(proposalSignBytes(CHAIN_ID, p), who.secret);
  return { type: "proposal", proposal: { proposal: p, signature }, blockBytes };
}

const blockAt = (height: number, i = 0) =>
  smallBlock({ chainId: CHAIN_ID, height, timeMs: 1_700_000_000_000 + i, proposerAddress: p0.validator.address });

/** A block at `height` of `count` short txs, its body root matching. */
function blockOfTxs(height: number, count: number): Block {
  const block = blockAt(height);
  const txs = Array.from({ length: count }, (_, i) => Uint8Array.of(1, 2, i));
  return { ...block, header: { ...block.header, txsRoot: txsRoot(txs.map((t) => sha256(t))) }, txs };
}

describe("the consensus inbox checks", () => {
  it("drops votes outside the heights and rounds the engine keeps before their signatures are checked", () => {
    const { inbox } = setup();
    expect(inbox.check(vote(p1, 3, 0, true)).kind).toBe("dropped"); // an old height
    expect(inbox.check(vote(p1, 7, 0, true)).kind).toBe("dropped"); // two ahead
    expect(inbox.check(vote(p1, 5, 2 + MAX_ROUNDS_AHEAD + 1, true)).kind).toBe("dropped"); // past the round window
    expect(inbox.check(vote(p1, 6, MAX_ROUNDS_AHEAD + 1, true)).kind).toBe("dropped"); // next height: from round 0
    expect(inbox.check(vote(p1, 4, 0, true)).kind).toBe("lastHeightVote"); // the late precommits' business
    // In the window, a forged signature is misbehaviour.
    expect(() => inbox.check(vote(p1, 5, 2 + MAX_ROUNDS_AHEAD, true))).toThrow(PeerMisbehaviour);
    const ok = inbox.check(vote(p1, 6, MAX_ROUNDS_AHEAD));
    expect(ok).toMatchObject({ kind: "vote", vote: { height: 6, round: MAX_ROUNDS_AHEAD, validator: 1, value: null } });
  });

  it("drops a vote it already holds without checking it again", () => {
    const { inbox, votes } = setup();
    const m = vote(p1, 5, 2);
    if (m.type !== "vote") throw new Error("a vote");
    votes.add(1, null, m.vote);
    const forgedCopy = vote(p1, 5, 2, true);
    expect(inbox.check(forgedCopy).kind).toBe("dropped");
  });

  it("drops a vote of a validator whose share of the height is used up, before checking it", () => {
    const { inbox, votes } = setup();
    // 64 distinct votes of validator 1 at height 5 (the most SignedVotes keeps of one validator a height).
    for (let round = 0; !votes.full(5, 1); round++) {
      const m = vote(p1, 5, round % 10);
      if (m.type !== "vote") throw new Error("a vote");
      const v = { ...m.vote.vote, blockHash: new Uint8Array(32).fill(round) };
      votes.add(1, String(round), { vote: v, signature: m.vote.signature });
    }
    // A new vote, validly signed: the store would not keep it, so it is dropped (and its sender charged).
    expect(inbox.check(vote(p1, 5, 2)).kind).toBe("dropped");
    expect(inbox.check(vote(p0, 5, 2)).kind).toBe("vote"); // another validator's share is its own
  });

  it("drops a sender's copies of a compact proposal whose assembly failed, unchecked, for ASSEMBLY_RETRY_MS", () => {
    const clock = { ms: 0 };
    const { inbox } = setup(undefined, 100, () => clock.ms);
    const full = proposal(p0, blockAt(5), 2);
    if (full.type !== "proposal") throw new Error("a proposal");
    // Bytes that are no block: a copy that is checked again throws when its block is decoded.
    const compact: ReceivedConsensusMessage = {
      type: "compactProposal",
      proposal: full.proposal,
      blockBytes: new Uint8Array([1, 2, 3]),
      txHashes: new Uint8Array(0),
    };
    const id = `5/2/${Buffer.from(full.proposal.proposal.blockHash).toString("hex")}`;
    inbox.assemblyFailed(id, "peer-a");
    clock.ms = ASSEMBLY_RETRY_MS - 1;
    expect(inbox.check(compact, "peer-a").kind).toBe("dropped");
    // Another peer's copy is checked (it may have the txs): here its bytes are no block.
    expect(() => inbox.check(compact, "peer-b")).toThrow(PeerMisbehaviour);
    clock.ms = ASSEMBLY_RETRY_MS;
    expect(() => inbox.check(compact, "peer-a")).toThrow(PeerMisbehaviour);
    // The same block in full is never held back: it needs no assembly.
    inbox.assemblyFailed(id, "peer-a");
    expect(inbox.check(full, "peer-a").kind).toBe("proposal");
  });

  it("answers a copy that is the very compact proposal checked without checking it again; any other copy in full", () => {
    const { inbox } = setup();
    const block = blockOfTxs(5, 50);
    const compact = (signature?: Uint8Array, txHashes?: Uint8Array): ReceivedConsensusMessage => {
      const full = proposal(p0, block, 2);
      if (full.type !== "proposal") throw new Error("a proposal");
      const hashes = new Uint8Array(block.txs.length * 32);
      block.txs.forEach((tx, i) => hashes.set(sha256(tx), i * 32));
      return {
        type: "compactProposal",
        proposal: { proposal: full.proposal.proposal, signature: signature ?? full.proposal.signature },
        blockBytes: encodeBlock({ ...block, txs: [] }),
        txHashes: txHashes ?? hashes,
      };
    };
    const first = inbox.check(compact(), "peer-a");
    expect(first.kind).toBe("compactProposal");
    // A copy from another peer, byte for byte the same (its own arrays): the same answer, the same object.
    expect(inbox.check(compact(), "peer-b")).toBe(first);
    // Not the same message: checked in full, and refused as before.
    expect(() => inbox.check(compact(new Uint8Array(64)), "peer-c")).toThrow(PeerMisbehaviour);
    const otherHashes = compact();
    if (otherHashes.type !== "compactProposal") throw new Error("a compact proposal");
    otherHashes.txHashes[0] ^= 1;
    expect(() => inbox.check(otherHashes, "peer-c")).toThrow(PeerMisbehaviour);
    // Forgotten with its height: checked again.
    inbox.forgetBelow(5);
    expect(inbox.check(compact(), "peer-d")).toBe(first);
    inbox.forgetBelow(6);
    const again = inbox.check(compact(), "peer-d");
    expect(again).not.toBe(first);
    expect(again.kind).toBe("compactProposal"); // checked in full again (the stand-in chain stays at height 4)
  });

  it("drops a proposal out of turn, and past the engine's proposals for a round drops the next undecoded", () => {
    const { inbox } = setup();
    expect(inbox.check(proposal(p1, blockAt(5), 2)).kind).toBe("dropped"); // validator 1 is not the proposer
    for (let i = 0; i < MAX_PROPOSALS_PER_ROUND; i++) {
      const c = inbox.check(proposal(p0, blockAt(5, i), 2));
      expect(c.kind).toBe("proposal");
    }
    // One more, with bytes that are not its block: refused by count, never decoded (decoding would throw).
    const extra = proposal(p0, blockAt(5, 99), 2, new Uint8Array([1, 2, 3]));
    expect(inbox.check(extra).kind).toBe("dropped");
    // A block already counted for the round is still checked (a re-send before the engine took it).
    expect(inbox.check(proposal(p0, blockAt(5, 0), 2)).kind).toBe("proposal");
  });

  it("takes a proposal past the round's cap when a quorum backs its value, in the check and as it goes to the engine", () => {
    const backedValues = new Set<string>();
    const backed = (height: number, round: number, value: string) =>
      height === 5 && round === 2 && backedValues.has(value);
    const { inbox } = setup(undefined, undefined, undefined, backed);
    for (let i = 0; i < MAX_PROPOSALS_PER_ROUND; i++) expect(inbox.check(proposal(p0, blockAt(5, i), 2)).kind).toBe("proposal");
    const backedBlock = blockAt(5, 50);
    expect(inbox.check(proposal(p0, backedBlock, 2)).kind).toBe("dropped"); // no quorum for it yet
    backedValues.add(toHex(blockHash(backedBlock.header)));
    const checked = inbox.check(proposal(p0, backedBlock, 2));
    expect(checked.kind).toBe("proposal");
    expect(inbox.check(proposal(p0, blockAt(5, 51), 2)).kind).toBe("dropped"); // the next unbacked one still is
    // Handed to the engine past the round's cap: admitted for the backed value only.
    for (let i = 0; i < MAX_PROPOSALS_PER_ROUND; i++) expect(inbox.admitProposal(`5/2/j${i}`, 5, 2)).toBe(true);
    expect(inbox.admitProposal("5/2/unbacked", 5, 2)).toBe(false);
    expect(inbox.admitProposal(checked.kind === "proposal" ? checked.id : "", 5, 2)).toBe(true);
  });

  it("admits a checked proposal to the engine once, within its per-round limit and window", () => {
    const { inbox } = setup();
    expect(inbox.admitProposal("5/2/aa", 5, 2)).toBe(true);
    expect(inbox.admitProposal("5/2/aa", 5, 2)).toBe(false); // already taken in
    expect(inbox.check(proposal(p0, blockAt(5), 2)).kind).toBe("proposal");
    for (let i = 1; i < MAX_PROPOSALS_PER_ROUND; i++) expect(inbox.admitProposal(`5/2/b${i}`, 5, 2)).toBe(true);
    expect(inbox.admitProposal("5/2/cc", 5, 2)).toBe(false); // the round has all the engine keeps
    expect(inbox.admitProposal("7/0/dd", 7, 0)).toBe(false); // a height the engine does not take
    inbox.forgetBelow(6);
    expect(inbox.admitProposal("6/0/ee", 6, 0)).toBe(true);
  });

  it("decodes a proposal two heights ahead against the structural cap, not the limit in force after the last block", () => {
    // Governance may raise maxBlockTxs in the block between: the next height's limit is not known here yet.
    const { inbox } = setup({ height: 5, round: 0 }, 2);
    expect(inbox.check(proposal(p0, blockOfTxs(6, 3), 0)).kind).toBe("proposal");
    // The next height's limit is the one in force: a block past it is what no honest proposer sends.
    expect(() => inbox.check(proposal(p0, blockOfTxs(5, 3), 0))).toThrow(PeerMisbehaviour);
  });

  it("while the engine lags the chain (a block just committed, or synced), drops what the engine would drop, unchecked", () => {
    // The chain has committed height 4; the engine is still at height 4 (its next height not started yet).
    const { inbox } = setup({ height: 4, round: 0 });
    // Height 6 is the chain's next but one, and a height the engine does not take: of no use, so dropped before
    // its signature is checked or its block decoded (the code before checked both, and the engine then
    // dropped it unseen, never charged to its sender).
    expect(inbox.check(vote(p1, 6, 0, true)).kind).toBe("dropped");
    expect(inbox.check(proposal(p0, blockAt(6), 0, new Uint8Array([1, 2, 3]))).kind).toBe("dropped");
    // The chain's next height is the engine's next too: checked, and held for it.
    expect(() => inbox.check(vote(p1, 5, 0, true))).toThrow(PeerMisbehaviour);
    expect(inbox.check(vote(p1, 5, 0)).kind).toBe("vote");
    // Before the engine has started a height (a restart replaying its WAL), messages are checked and wait.
    const replaying = setup({ height: 0, round: -1 }).inbox;
    expect(replaying.check(vote(p1, 5, 0)).kind).toBe("vote");
    // So do they while the start of the chain's next height is queued (block sync ended, the engine far behind).
    const synced = setup({ height: 2, round: 0, starting: true }).inbox;
    expect(synced.check(vote(p1, 5, 0)).kind).toBe("vote");
    expect(() => synced.check(vote(p1, 5, 0, true))).toThrow(PeerMisbehaviour); // checked, so a forgery is caught
    // No start queued (still syncing): dropped unchecked.
    expect(setup({ height: 2, round: 0 }).inbox.check(vote(p1, 5, 0, true)).kind).toBe("dropped");
  });

  it("takes nothing before the engine has started a height", () => {
    const { inbox } = setup({ height: 0, round: -1 });
    expect(inbox.engineTakes(5, 0)).toBe(false);
    expect(inbox.admitProposal("5/0/aa", 5, 0)).toBe(false);
  });
});
