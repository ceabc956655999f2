import { generateKeyPair } from "@libp2p/crypto/keys";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { BlockSync } from "../../node/block-sync.ts";
import { CONSENSUS_PROTOCOL } from "../../node/network.ts";
import { frame, Gossip } from "../../p2p/gossip.ts";
import { createP2pHost, type P2pHost } from "../../p2p/host.ts";
import { PeerScores } from "../../p2p/peer-scores.ts";
import { type Block, blockHash, type Commit, commitHash, encodeBlock, evidenceRoot, txsRoot } from "../../proto/block.ts";
import { MAX_BLOCK_EVIDENCE } from "../../proto/block-caps.ts";
import { PRECOMMIT, type SignedVote } from "../../proto/consensus.ts";
import { decodeConsensusMessage, encodeConsensusMessage, MAX_CONSENSUS_MESSAGE_BYTES } from "../../proto/p2p.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { sampleHeader } from "../helpers/fixtures.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * Issue 11 item 1 between real libp2p hosts (TCP, noise, yamux on 127.0.0.1): a block of maxBlockBytes of
 * maximum-size transactions, with a full last commit and full evidence, crosses consensus gossip as a
 * proposal and block sync as a synced block; a gossip frame of exactly the limit crosses, one byte more
 * costs the sender its connection. Before the fix any frame over 4 MiB was refused on both protocols.
 */
const log = pino({ level: "silent" });
const hosts: P2pHost[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const h of hosts.splice(0)) await h.stop();
});

/** Hangs up on `peer` (a peer id string) if connected. */
function hangUp(h: P2pHost, peer: string): void {
  const conn = h.getConnections().find((c) => c.remotePeer.toString() === peer);
  if (conn !== undefined) void h.hangUp(conn.remotePeer);
}

async function host(): Promise<P2pHost> {
  const privateKey = await generateKeyPair("Ed25519");
  const h = await createP2pHost({ privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], agentVersion: "test" });
  hosts.push(h);
  return h;
}

const sig = (n: number) => new Uint8Array(64).fill(n);
const addr = (n: number) => new Uint8Array(20).fill(n);

function vote(n: number): SignedVote {
  return {
    vote: {
      type: PRECOMMIT,
      height: 1,
      round: 0,
      blockHash: new Uint8Array(32).fill(n),
      timeMs: 1,
      validatorAddress: addr(3),
    },
    signature: sig(n),
  };
}

function fullCommit(height: number, validators: number): Commit {
  return {
    height,
    round: 0,
    blockHash: new Uint8Array(32).fill(5),
    signatures: Array.from({ length: validators }, (_, i) => ({
      validatorAddress: addr(i),
      timeMs: 1_700_000_000_000,
      signature: sig(i),
    })),
  };
}

/** maxBlockBytes of maxTxBytes-sized txs (512 of 16 KiB by default), a full commit and full evidence. */
function maximalBlock(height: number): Block {
  const { maxBlockBytes, maxTxBytes } = DEFAULT_PARAMS;
  const count = Math.floor(maxBlockBytes / maxTxBytes);
  const txs = Array.from({ length: count }, (_, i) => new Uint8Array(maxTxBytes).fill(i & 0xff));
  const lastCommit = fullCommit(height - 1, DEFAULT_PARAMS.staking.maxValidators);
  const evidence = Array.from({ length: MAX_BLOCK_EVIDENCE }, () => ({ voteA: vote(1), voteB: vote(2) }));
  // Body roots that match, as in a real block: the block store proves every block it serves against them.
  const header = {
    ...sampleHeader(height, 1_700_000_000_000),
    txsRoot: txsRoot(txs.map((t) => sha256(t))),
    lastCommitHash: commitHash(lastCommit),
    evidenceRoot: evidenceRoot(evidence),
  };
  return { header, txs, lastCommit, evidence };
}

describe("maximal blocks between real libp2p hosts", () => {
  it("a proposal with a full block crosses consensus gossip; a frame of exactly the limit too, one byte more does not", async () => {
    const [a, b, stranger] = [await host(), await host(), await host()];
    const received: Uint8Array[] = [];
    const offences: string[] = [];
    const opts = (onMessage: (peer: string, m: Uint8Array) => void, on: P2pHost) => ({
      protocol: CONSENSUS_PROTOCOL,
      maxMessageBytes: MAX_CONSENSUS_MESSAGE_BYTES,
      maxQueuedBytes: 3 * MAX_CONSENSUS_MESSAGE_BYTES,
      maxMessagesPerSecond: 100,
      onMessage,
      onMisbehaviour: (peer: string, reason: string) => {
        offences.push(reason);
        hangUp(on, peer);
      },
    });
    const ga = await Gossip.start(a, opts(() => {}, a), log);
    await Gossip.start(b, opts((_p, m) => received.push(m), b), log);
    await a.dial(b.getMultiaddrs()[0]);
    await waitFor("gossip stream a->b", () => (ga.peers.length === 1 ? true : undefined));

    const block = maximalBlock(2);
    const blockBytes = encodeBlock(block);
    expect(blockBytes.byteLength).toBeGreaterThan(DEFAULT_PARAMS.maxBlockBytes);
    const proposal = encodeConsensusMessage({
      type: "proposal",
      proposal: {
        proposal: {
          height: 2,
          round: 0,
          polRound: -1,
          blockHash: blockHash(block.header),
          timeMs: 1,
          proposerAddress: addr(1),
        },
        signature: sig(9),
      },
      block,
      blockBytes,
    });
    expect(ga.broadcast(proposal)).toBe(1);
    const exact = new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES).fill(7);
    expect(ga.broadcast(exact)).toBe(1);
    // One byte over: the sender refuses to send it at all (peers would hang up on it).
    expect(ga.broadcast(new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES + 1))).toBe(0);
    await waitFor("both frames", () => (received.length === 2 ? true : undefined), 30_000);
    const got = decodeConsensusMessage(received[0]);
    expect(got.type === "proposal" && equalBytes(got.blockBytes, blockBytes)).toBe(true);
    expect(equalBytes(received[1], exact)).toBe(true);
    expect(offences).toEqual([]);

    // A stock stream writing one byte over the limit is hung up on.
    const stream = await stranger.dialProtocol(b.getMultiaddrs()[0], CONSENSUS_PROTOCOL);
    stream.send(frame(new Uint8Array(MAX_CONSENSUS_MESSAGE_BYTES + 1)));
    await waitFor("oversized sender dropped", () => (b.getConnections(stranger.peerId).length === 0 ? true : undefined), 30_000);
    expect(offences.join()).toMatch(/exceeds the limit/);
    expect(b.getConnections(a.peerId).length).toBe(1);
  }, 60_000);

  it("block sync serves and fetches full blocks with full commits", async () => {
    const tmp = tempDir("opl-maxsync-");
    cleanups.push(tmp.cleanup);
    const db = await ChainDb.open(tmp.dir);
    cleanups.push(() => db.close());
    const blocks = [maximalBlock(1), maximalBlock(2), maximalBlock(3)];
    for (const [i, block] of blocks.entries()) {
      // The commit signs this block's hash, as a real one does (the block store checks they agree).
      const commit = { ...fullCommit(i + 1, DEFAULT_PARAMS.staking.maxValidators), blockHash: blockHash(block.header) };
      await db.commitBlock({
        height: i + 1,
        block,
        blockBytes: encodeBlock(block),
        meta: { hash: blockHash(block.header), commit, numTxs: block.txs.length },
        txs: [],
        writes: [],
      });
    }

    const [server, client] = [await host(), await host()];
    const scores = (h: P2pHost) => new PeerScores({ log, disconnect: (p) => hangUp(h, p) });
    const serving = new BlockSync({
      host: server,
      db,
      scores: scores(server),
      log,
      onFatal: (err) => { throw err; },
      chain: { height: () => blocks.length, beginSync: () => {}, applySynced: async () => false, endSync: () => {} },
    });
    await serving.start();
    cleanups.push(() => serving.stop());

    const applied: { block: Block; commit: Commit }[] = [];
    let ended = false;
    const fetching = new BlockSync({
      host: client,
      db,
      scores: scores(client),
      log,
      onFatal: (err) => { throw err; },
      options: { graceMs: 0, checkMs: 50 },
      chain: {
        height: () => applied.length,
        beginSync: () => {},
        applySynced: async (block, commit) => {
          applied.push({ block, commit });
          return true;
        },
        endSync: () => {
          ended = true;
        },
      },
    });
    await fetching.start();
    cleanups.push(() => fetching.stop());
    await client.dial(server.getMultiaddrs()[0]);
    await waitFor("connected", () => (client.getConnections(server.peerId).length > 0 ? true : undefined));
    fetching.onStatus(server.peerId.toString(), blocks.length);
    await waitFor("three full blocks synced", () => (applied.length === 3 && ended ? true : undefined), 30_000);
    for (const [i, { block, commit }] of applied.entries()) {
      expect(equalBytes(encodeBlock(block), encodeBlock(blocks[i]))).toBe(true);
      expect(commit.signatures.length).toBe(DEFAULT_PARAMS.staking.maxValidators);
    }
  }, 60_000);
});
