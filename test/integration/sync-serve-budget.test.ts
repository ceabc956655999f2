import type { Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { type BlockSyncOptions, SYNC_PROTOCOL } from "../../node/block-sync.ts";
import {
  BlockSyncServer,
  SYNC_ANSWER_BYTES_IN_FLIGHT,
  SYNC_ANSWER_BYTES_PER_PEER,
  SERVE_READ_CHUNK,
  SYNC_ANSWER_BYTES_STRANGERS,
  SYNC_STRANGER_CREDIT,
  SYNC_STRANGERS_REQUEST_SHARE,
} from "../../node/block-sync-server.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { PeerScores } from "../../p2p/peer-scores.ts";
import { type Block, blockHash, type Commit, commitHash, encodeBlock, evidenceRoot, txsRoot } from "../../proto/block.ts";
import {
  decodeBlockRequest,
  encodeBlockRequest,
  encodeSyncedBlock,
  MAX_BLOCK_REQUEST_COUNT,
  MAX_SYNC_ANSWER_BYTES,
} from "../../proto/p2p.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { sampleHeader } from "../helpers/fixtures.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { lengthPrefixed } from "../helpers/wire-bytes.ts";
import { fetchingSyncClient } from "../helpers/fetching-sync-client.ts";

/**
 * A block sync server holds the answers it writes until they are read: before, each answer (up to 16 MiB)
 * was read whole from the store before its first byte went out, and held for 15 s plus its size at 64 KiB/s
 * (minutes) whether or not the client read it, so 100 connections of 4 streams that never read held ~6 GiB.
 * Now every answer's bytes are taken from a budget (SYNC_ANSWER_BYTES_IN_FLIGHT for all peers,
 * SYNC_ANSWER_BYTES_PER_PEER each) before its blocks are read, an answer that does not fit is cut short or
 * empty, a stalled reader is given up on after the request timeout, and an honest client that finds the
 * budget spent is answered once it has room, without charging the server for the empty answer.
 */
const log = pino({ level: "silent" });
const HEIGHTS = 12;
/** 4 MiB blocks: an answer holds three, and a stalled reader's window never takes a whole one. */
const TXS_PER_BLOCK = 256;
const TX_BYTES = 16 * 1024;
const teardown = new TestTeardown();
afterEach(() => teardown.undo());
const host = () => teardown.host();

function testBlock(height: number, txCount = TXS_PER_BLOCK, txBytes = TX_BYTES): Block {
  const txs = Array.from({ length: txCount }, (_, i) => {
    const tx = new Uint8Array(txBytes).fill(height);
    new DataView(tx.buffer).setUint32(0, i);
    return tx;
  });
  const header = {
    ...sampleHeader(height, 1_700_000_000_000 + height),
    txsRoot: txsRoot(txs.map((t) => sha256(t))),
    lastCommitHash: commitHash(undefined),
    evidenceRoot: evidenceRoot([]),
  };
  return { header, txs, lastCommit: undefined, evidence: [] };
}

function commitOf(block: Block): Commit {
  const signatures = [1, 2, 3, 4].map((i) => ({
    validatorAddress: new Uint8Array(20).fill(i),
    timeMs: 1_700_000_000_000,
    signature: new Uint8Array(64).fill(i),
  }));
  return { height: block.header.height, round: 0, blockHash: blockHash(block.header), signatures };
}

/**
 * A store of HEIGHTS blocks (big ones, unless `opts.block` makes them), served by a BlockSyncServer; `read` counts the block bytes read from it.
 * Returns the largest frame too.
 */
async function servingStore(
  requestTimeoutMs: number,
  opts: { persistent?: string[]; now?: () => number; block?: (height: number) => Block; heights?: number } = {},
) {
  const heights = opts.heights ?? HEIGHTS;
  const tmp = tempDir("opl-syncbudget-");
  teardown.defer(tmp.cleanup);
  const db = await ChainDb.open(tmp.dir);
  teardown.defer(() => db.close());
  let frameBytes = 0;
  for (let h = 1; h <= heights; h++) {
    const block = (opts.block ?? testBlock)(h);
    const blockBytes = encodeBlock(block);
    const commit = commitOf(block);
    frameBytes = Math.max(frameBytes, encodeSyncedBlock(blockBytes, commit).byteLength);
    const meta = { hash: blockHash(block.header), commit, numTxs: block.txs.length };
    await db.commitBlock({ height: h, block, blockBytes, meta, txs: [], writes: [] });
  }
  const read = { bytes: 0 };
  const getBlockBytes = db.getBlockBytes.bind(db);
  db.getBlockBytes = async (height: number) => {
    const bytes = await getBlockBytes(height);
    read.bytes += bytes?.byteLength ?? 0;
    return bytes;
  };
  const serverHost = await host();
  const scores = new PeerScores({ log, disconnect: () => {}, persistentPeers: new Set(opts.persistent) });
  const server = new BlockSyncServer({
    host: serverHost,
    db,
    height: () => heights,
    scores,
    options: { requestTimeoutMs, minTransferBytesPerSecond: 64 * 1024, maxRequestsPerSecond: 10 },
    now: opts.now,
  });
  await server.start();
  teardown.defer(() => server.stop());
  return { server, serverHost, read, frameBytes, scores };
}

/**
 * A peer that opens `streams` sync streams, asks each for every block, reads the count the answer starts
 * with and then stops reading (its stream paused: no more window for the server). Returns the counts.
 */
async function stalledReader(
  server: P2pHost,
  streams: number,
  on: P2pHost | undefined = undefined,
): Promise<{ counts: number[]; opened: Stream[]; peer: P2pHost }> {
  const peer = on ?? (await host());
  await peer.dial(server.getMultiaddrs()[0]);
  const opened: Stream[] = [];
  const counts = await Promise.all(Array.from({ length: streams }, async () => {
    const stream = await peer.dialProtocol(server.getMultiaddrs()[0], SYNC_PROTOCOL);
    opened.push(stream);
    const lp = lpStream(stream);
    await lp.write(encodeBlockRequest({ fromHeight: 1, count: HEIGHTS }));
    const header = (await lp.read()).subarray();
    stream.pause();
    return new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  }));
  return { counts, opened, peer };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** A syncing client (no store: it only fetches) of HEIGHTS blocks from `server`; offences it charged. */
async function syncingClient(server: P2pHost, height: number, options: Partial<BlockSyncOptions> = {}) {
  const client = await host();
  const made = await fetchingSyncClient({
    client,
    server,
    height,
    options: { busyRetryMs: 100, requestTimeoutMs: 10_000, ...options },
  });
  teardown.defer(() => made.sync.stop());
  return made;
}

describe("block sync answers within a budget of bytes in flight", () => {
  it("streams that never read hold at most the budget, each peer at most its share; it comes back when they go", async () => {
    const { server, serverHost, read, frameBytes } = await servingStore(60_000);
    // 4 peers x 4 streams, each asking for the largest answer (3 blocks of 4 MiB): 16 answers, ~200 MiB.
    const readers = await Promise.all([1, 2, 3, 4].map(() => stalledReader(serverHost, 4)));
    const announced = readers.map((r) => sum(r.counts) * frameBytes);
    expect(sum(announced)).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_IN_FLIGHT);
    for (const bytes of announced) expect(bytes).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_PER_PEER);
    expect(read.bytes).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_IN_FLIGHT);
    expect(server.stats.bytesInFlight).toBeGreaterThan(0);
    expect(server.stats.bytesInFlight).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_IN_FLIGHT);
    expect(server.stats.answersCut).toBeGreaterThan(0);
    // The first peer's streams were answered: each peer got something, none all it asked for.
    expect(sum(readers[0].counts)).toBeGreaterThan(0);
    for (const r of readers) await r.peer.hangUp(serverHost.peerId);
    await waitFor("the budget given back", () => (server.stats.bytesInFlight === 0 ? true : undefined), 10_000);
  }, 60_000);

  it("a stalled reader is given up on after the request timeout, not after its answer's size at the minimum rate", async () => {
    // Before: 1 s + 12 MiB at 64 KiB/s, over three minutes.
    const { server, serverHost } = await servingStore(1000);
    const { counts, opened } = await stalledReader(serverHost, 1);
    expect(counts[0]).toBeGreaterThan(0);
    await waitFor("the stalled answer reset", () => (opened[0].status !== "open" ? true : undefined), 15_000);
    await waitFor("the budget given back", () => (server.stats.bytesInFlight === 0 ? true : undefined), 5_000);
  }, 30_000);

  it("an honest client that finds the budget spent is not refused for good: it syncs every block, charging no one", async () => {
    const { server, serverHost } = await servingStore(3000);
    await Promise.all([1, 2, 3, 4].map(() => stalledReader(serverHost, 4)));
    const cutBefore = server.stats.answersCut;
    // The stalled streams are dropped after 3 s of no progress; meanwhile the client is answered with nothing.
    const { applied, offences } = await syncingClient(serverHost, HEIGHTS);
    await waitFor("every block synced", () => (applied.length === HEIGHTS ? true : undefined), 30_000);
    expect(applied).toEqual(Array.from({ length: HEIGHTS }, (_, i) => i + 1));
    expect(offences).toEqual([]);
    expect(server.stats.answersCut).toBeGreaterThan(cutBefore);
  }, 60_000);
});

describe("strangers share one part of the block sync budget; persistent peers keep the rest", () => {
  it("stranger ids that never read hold at most SYNC_ANSWER_BYTES_STRANGERS; a persistent peer still gets a whole answer", async () => {
    // Before: two stalled stranger ids held all of SYNC_ANSWER_BYTES_IN_FLIGHT and every other client was
    // answered empty until the request timeout dropped them.
    const named = await host();
    const { server, serverHost, frameBytes } = await servingStore(60_000, { persistent: [named.peerId.toString()] });
    const strangers = await Promise.all([1, 2, 3, 4].map(() => stalledReader(serverHost, 4)));
    const held = sum(strangers.map((r) => sum(r.counts))) * frameBytes;
    expect(held).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_STRANGERS);
    expect(server.stats.strangersBytesInFlight).toBeGreaterThan(0);
    expect(server.stats.strangersBytesInFlight).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_STRANGERS);
    // One stranger id holds at most its own share: the first left the others room.
    expect(sum(strangers[0].counts) * frameBytes).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_PER_PEER);
    expect(sum(strangers[1].counts)).toBeGreaterThan(0);
    // The persistent peer's first range is answered whole (three 4 MiB blocks: the answer limit).
    const whole = Math.floor(MAX_SYNC_ANSWER_BYTES / frameBytes);
    expect(whole).toBeGreaterThan(0);
    const { counts } = await stalledReader(serverHost, 1, named);
    expect(counts).toEqual([whole]);
    expect(server.stats.bytesInFlight).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_IN_FLIGHT);
    // Strangers gone, their share comes back.
    for (const r of strangers) await r.peer.hangUp(serverHost.peerId);
    await waitFor("strangers' bytes given back", () => (server.stats.strangersBytesInFlight === 0 ? true : undefined), 10_000);
  }, 60_000);

  it("past the strangers' share of requests a second, a stranger is answered empty (busy) unblamed; a persistent peer in full", async () => {
    const named = await host();
    const second = 1_800_000_000_000; // one second throughout
    // Small blocks: the answers' bytes are far within every budget, so only the count of requests is at stake.
    const block = (h: number) => testBlock(h, 1, 64);
    const persistent = [named.peerId.toString()];
    const { server, serverHost, scores } = await servingStore(60_000, { persistent, now: () => second, block });
    const share = SYNC_STRANGERS_REQUEST_SHARE * 10; // maxRequestsPerSecond 10
    // share + 5 stranger ids asking one request each, one after another: the k-th is one of k strangers asking,
    // its credit share / k requests, so the first `share` are served and the rest are not.
    const askers = await Promise.all(Array.from({ length: share + 5 }, () => host()));
    const counts: number[] = [];
    for (const a of askers) counts.push(...(await blockCounts(serverHost, 1, a)));
    expect(counts.slice(0, share)).toEqual(Array.from({ length: share }, () => 1));
    expect(counts.slice(share)).toEqual([0, 0, 0, 0, 0]);
    expect(server.stats.strangersBusy).toBe(5);
    for (const a of askers) expect(scores.score(a.peerId.toString())).toBe(0); // busy is no offence
    expect(await blockCounts(serverHost, 4, named)).toEqual([1, 1, 1, 1]);
  }, 60_000);

  it("the strangers' share is split among the strangers asking: ids that take their limit each second leave an honest stranger its part", async () => {
    // Before, the share went to whichever strangers asked first in a second: four ids asking their own limit
    // at the start of every second left a new full node syncing from this node only "busy" answers.
    const named = await host();
    let clock = 1_800_000_000_000;
    const block = (h: number) => testBlock(h, 1, 64);
    const persistent = [named.peerId.toString()];
    const { server, serverHost, scores } = await servingStore(60_000, { persistent, now: () => clock, block });
    const max = 10; // maxRequestsPerSecond
    const share = SYNC_STRANGERS_REQUEST_SHARE * max;
    const sybils = await Promise.all(Array.from({ length: SYNC_STRANGERS_REQUEST_SHARE }, () => host()));
    const honest = await host();
    // Each sybil asks its own limit, 4 streams at a time (a connection's sync streams at once), all at once.
    const askLimit = async (s: P2pHost) => {
      const counts = [...(await blockCounts(serverHost, 4, s)), ...(await blockCounts(serverHost, 4, s))];
      return sum([...counts, ...(await blockCounts(serverHost, max - 8, s))]);
    };
    const sybilsAsk = () => Promise.all(sybils.map(askLimit));

    // The first second: the sybils, first, take their own limit; the honest stranger is served all the same.
    expect(await sybilsAsk()).toEqual(sybils.map(() => max));
    expect(await blockCounts(serverHost, 4, honest)).toEqual([1, 1, 1, 1]);
    // Every later second the sybils come first again, but five strangers are asking: each earns a fifth. The
    // sybils first spend what they banked (up to SYNC_STRANGER_CREDIT requests' worth), then take their fifth.
    const part = share / (SYNC_STRANGERS_REQUEST_SHARE + 1);
    expect(part).toBeGreaterThanOrEqual(4);
    let busy = 0;
    let steady = 0;
    for (let s = 0; steady < 2; s++) {
      expect(s).toBeLessThan(2 * SYNC_STRANGER_CREDIT); // their banks run down by max - part a second
      clock += 1000;
      const taken = await sybilsAsk();
      for (const t of taken) expect(t).toBeLessThanOrEqual(max);
      busy += sum(taken.map((t) => max - t));
      steady = taken.every((t) => t === part) ? steady + 1 : 0;
      expect(await blockCounts(serverHost, 4, honest)).toEqual([1, 1, 1, 1]);
    }
    for (const p of [...sybils, honest]) expect(scores.score(p.peerId.toString())).toBe(0); // busy is no offence
    expect(server.stats.strangersBusy).toBe(busy);
    // The persistent peer is served in full throughout.
    expect(await blockCounts(serverHost, 4, named)).toEqual([1, 1, 1, 1]);
  }, 60_000);

  it("a stranger's request counts one per SERVE_READ_CHUNK heights asked: it is served what its credit pays for", async () => {
    // A request for 1,024 blocks counted as one, the same as a request for one block, though each height is
    // planned, read and sent: 40 strangers' requests a second made ~40,000 heights of work.
    const named = await host();
    const second = 1_800_000_000_000; // one second throughout
    const block = (h: number) => testBlock(h, 1, 64);
    const heights = 12 * SERVE_READ_CHUNK;
    const persistent = [named.peerId.toString()];
    const now = () => second;
    const { server, serverHost, scores } = await servingStore(60_000, { persistent, now, block, heights });
    // A new stranger banks SYNC_STRANGER_CREDIT requests' worth (two of the largest a client asks, whole).
    const stranger = await host();
    let credit = SYNC_STRANGER_CREDIT;
    const served: number[] = [];
    for (;;) {
      const n = await rangeCount(serverHost, stranger, heights);
      served.push(n);
      if (n === 0) break;
      credit -= Math.ceil(n / SERVE_READ_CHUNK);
    }
    const whole = Math.floor(SYNC_STRANGER_CREDIT / 12);
    const rest = (SYNC_STRANGER_CREDIT % 12) * SERVE_READ_CHUNK;
    expect(served).toEqual([...Array.from({ length: whole }, () => heights), ...(rest > 0 ? [rest] : []), 0]);
    expect(credit).toBe(0);
    expect(server.stats.strangersBusy).toBe(1); // its part spent this second: busy
    expect(scores.score(stranger.peerId.toString())).toBe(0); // busy is no offence
    expect(await rangeCount(serverHost, named, heights)).toBe(heights); // a persistent peer in full
  }, 60_000);

  it("a stranger syncing alone is served a run longer than its credit, all of it, charged no offence", async () => {
    const named = await host();
    const block = (h: number) => testBlock(h, 1, 64);
    const heights = 2 * MAX_BLOCK_REQUEST_COUNT + 300; // past what a new stranger has banked
    const persistent = [named.peerId.toString()];
    const { server, serverHost } = await servingStore(60_000, { persistent, block, heights });
    const started = performance.now();
    const { applied, offences } = await syncingClient(serverHost, heights);
    await waitFor("every block synced", () => (applied.length === heights ? true : undefined), 45_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`a stranger synced ${heights} blocks in ${seconds.toFixed(1)} s; ${server.stats.strangersBusy} busy answers`);
    expect(applied).toEqual(Array.from({ length: heights }, (_, i) => i + 1));
    expect(offences).toEqual([]);
  }, 90_000);

  it("a node that names no persistent peer lets strangers use the whole budget", async () => {
    const { server, serverHost } = await servingStore(60_000);
    await Promise.all([1, 2, 3, 4].map(() => stalledReader(serverHost, 4)));
    expect(server.stats.bytesInFlight).toBeGreaterThan(SYNC_ANSWER_BYTES_STRANGERS);
    expect(server.stats.bytesInFlight).toBeLessThanOrEqual(SYNC_ANSWER_BYTES_IN_FLIGHT);
  }, 60_000);
});

/** `n` requests for block 1 from one peer (`on`, or a new one), at once; the count each answer started with. */
async function blockCounts(server: P2pHost, n: number, on: P2pHost | undefined = undefined): Promise<number[]> {
  const peer = on ?? (await host());
  await peer.dial(server.getMultiaddrs()[0]);
  return Promise.all(Array.from({ length: n }, async () => {
    const stream = await peer.dialProtocol(server.getMultiaddrs()[0], SYNC_PROTOCOL);
    const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024 });
    await lp.write(encodeBlockRequest({ fromHeight: 1, count: 1 }));
    const header = (await lp.read()).subarray();
    const count = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
    stream.abort(new Error("the count is all this test reads"));
    return count;
  }));
}

/** One request from `peer` for blocks 1..count; the count its answer starts with. */
async function rangeCount(server: P2pHost, peer: P2pHost, count: number): Promise<number> {
  await peer.dial(server.getMultiaddrs()[0]);
  const stream = await peer.dialProtocol(server.getMultiaddrs()[0], SYNC_PROTOCOL);
  const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024 });
  await lp.write(encodeBlockRequest({ fromHeight: 1, count }));
  const header = (await lp.read()).subarray();
  stream.abort(new Error("the count is all this test reads"));
  return new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
}

/** A server of small blocks 1..count whose first `empty` answers hold no blocks (its budget was spent). */
async function busyServer(count: number, empty: number): Promise<{ server: P2pHost; asked: { n: number } }> {
  const server = await host();
  const asked = { n: 0 };
  await server.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    const n = asked.n++ < empty ? 0 : Math.min(req.count, count - req.fromHeight + 1);
    const frames = [lengthPrefixed(Uint8Array.of(0, 0, 0, n))];
    for (let h = req.fromHeight; h < req.fromHeight + n; h++) {
      const block = smallBlock({ height: h, timeMs: 1_700_000_000_000 + h });
      const commit = { height: h, round: 0, blockHash: blockHash(block.header), signatures: [] };
      const frame = encodeSyncedBlock(encodeBlock(block), commit);
      frames.push(lengthPrefixed(frame));
    }
    stream.send(concatBytes(...frames));
    await stream.close();
  });
  return { server, asked };
}

describe("a block sync client given an empty answer", () => {
  it("does not charge the server, and asks it again shortly", async () => {
    const { server, asked } = await busyServer(8, 2);
    const { applied, offences } = await syncingClient(server, 8);
    await waitFor("all 8 blocks", () => (applied.length === 8 ? true : undefined), 20_000);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(offences).toEqual([]);
    expect(asked.n).toBeGreaterThan(2);
  });

  it("drops the claim of a peer whose answers stay empty past emptyAnswersMs: the node stops catching up", async () => {
    // A peer claiming 1,000,000 blocks that never serves one kept catchingUp true (/health 503) for good.
    const { server, asked } = await busyServer(8, Number.POSITIVE_INFINITY);
    const { applied, offences, sync } = await syncingClient(server, 1_000_000, { emptyAnswersMs: 500 });
    expect(sync.catchingUp).toBe(true);
    await waitFor("the claim dropped", () => (sync.catchingUp ? undefined : true), 10_000);
    expect(sync.bestPeerHeight).toBe(0);
    expect(applied).toEqual([]);
    expect(offences).toEqual([]); // not penalised: a busy server is honest
    expect(asked.n).toBeGreaterThan(1);
  });
});
