import { lpStream } from "@libp2p/utils";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { answerTxFetch, txFetchAnswerBound } from "../../node/compact-proposal.ts";
import type { P2pHost } from "../../p2p/host.ts";
import {
  TX_FETCH_BYTES_PER_PEER_SECOND,
  TX_FETCH_HASHES_PER_PEER_SECOND,
  TX_FETCH_BYTES_IN_FLIGHT_STRANGERS,
  TX_FETCH_PROTOCOL,
  TX_FETCH_STRANGERS_SHARE,
  DEFAULT_TX_FETCH,
  TxFetch,
  TxFetchFailed,
} from "../../p2p/tx-fetch.ts";
import { type Block, blockTxHashes, encodeBlock, HASH_LENGTH } from "../../proto/block.ts";
import { BLOCK_PARAM_CAPS } from "../../proto/block-caps.ts";
import { encodeTxFetchRequest, encodeTxFetchResponse, type TxFetchRequest, type TxFetchResponse } from "../../proto/p2p.ts";
import { sampleHeader } from "../helpers/fixtures.ts";
import { ACTIVE_SECONDS } from "../../p2p/stranger-shares.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A tx fetch server checks its budgets before it builds an answer: before, every request (20 a second per
 * peer) was answered in full (a lookup per hash: up to 20,000, 32-83 ms) and only then weighed against the
 * byte budget, so a peer asking for all of a block's hashes again and again cost ~1 s of CPU a second. Now
 * the hashes a peer has looked up are counted per second (TX_FETCH_HASHES_PER_PEER_SECOND) and the bytes
 * checked against a bound known from the request and the block's sizes: the answer is not built past them.
 * Over real libp2p on 127.0.0.1.
 */
const log = pino({ level: "silent" });
const teardown = new TestTeardown();
afterEach(() => teardown.undo());
const host = () => teardown.host();

/** A block of `n` distinct txs of `bytes` each (opaque: the fetch never decodes them). */
function blockOf(n: number, bytes: number): Block {
  const txs = Array.from({ length: n }, (_, i) => {
    const tx = new Uint8Array(bytes);
    new DataView(tx.buffer).setUint32(0, i);
    return tx;
  });
  return { header: sampleHeader(5, 1), txs, lastCommit: undefined, evidence: [] };
}

function hashesOf(block: Block, indexes: number[]): Uint8Array {
  const hashes = blockTxHashes(block);
  const out = new Uint8Array(indexes.length * HASH_LENGTH);
  indexes.forEach((i, k) => out.set(hashes[i], k * HASH_LENGTH));
  return out;
}

/**
 * A server of `block`'s txs (answerTxFetch, txFetchAnswerBound, as the node wires them); `built` counts answers
 * built. `persistent`: the peer ids it was told to trust (every other is a stranger); `now`: its clock.
 */
async function serverOf(
  block: Block,
  opts: { persistent?: string[]; now?: () => number; serveTimeoutMs?: number; offences?: string[] } = {},
) {
  const known = { block, bytes: () => encodeBlock(block) };
  const built = { n: 0 };
  const peer = await host();
  const server = await TxFetch.start({
    host: peer,
    log,
    serve: (_p, req) => {
      built.n++;
      return answerTxFetch(known, req);
    },
    bound: (_p, req) => txFetchAnswerBound(known, req),
    onMisbehaviour: (p, reason) => opts.offences?.push(`${p}: ${reason}`),
    persistentPeers: new Set(opts.persistent),
    now: opts.now,
    options: opts.serveTimeoutMs === undefined ? {} : { serveTimeoutMs: opts.serveTimeoutMs },
  });
  teardown.defer(() => server.stop());
  return { peer, built, known, server };
}

/** A fetching peer of `server` (on `node`, if given: a host made before the server, so that it can be named). */
async function clientOf(server: P2pHost, node: P2pHost | undefined = undefined) {
  node ??= await host();
  const client = await TxFetch.start({ host: node, log, serve: () => undefined, onMisbehaviour: () => {} });
  teardown.defer(() => client.stop());
  await node.dial(server.getMultiaddrs()[0]);
  const within = { idleMs: 10_000, minBytesPerSecond: 1 };
  return (req: TxFetchRequest) => client.fetch(server.peerId.toString(), req, within);
}

/** Asks `times` times in a row; how many were answered, and how many wall-clock seconds the asking touched. */
async function askRepeatedly(
  fetch: (req: TxFetchRequest) => Promise<TxFetchResponse>,
  req: TxFetchRequest,
  times: number,
) {
  const first = Math.floor(Date.now() / 1000);
  let answered = 0;
  for (let i = 0; i < times; i++) {
    try {
      await fetch(req);
      answered++;
    } catch (err) {
      if (!(err instanceof TxFetchFailed) || err.kind !== "refused") throw err;
    }
  }
  return { answered, seconds: Math.floor(Date.now() / 1000) - first + 1 };
}

describe("tx fetch budgets are checked before the answer is built", () => {
  it("a peer asking for all of a block's hashes again and again has at most a block's worth looked up a second", async () => {
    const n = BLOCK_PARAM_CAPS.maxBlockTxs;
    expect(TX_FETCH_HASHES_PER_PEER_SECOND).toBe(n);
    const block = blockOf(n, 8);
    const { peer, built, known } = await serverOf(block);
    const fetch = await clientOf(peer);
    const all = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [...block.txs.keys()]) };
    const { answered, seconds } = await askRepeatedly(fetch, all, 10);
    // One whole lookup per wall-clock second at most; the rest refused before any lookup.
    expect(built.n).toBeLessThanOrEqual(seconds);
    // Some were refused, unless a loaded machine took a second or more per ask (then each fit its second).
    expect(built.n < 10 || seconds >= 10).toBe(true);
    expect(answered).toBe(built.n);

    // Another peer's honest fetch is answered, as answerTxFetch answers it.
    const few = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [3, 500, 19_999]) };
    const honest = await clientOf(peer);
    expect(await honest(few)).toEqual(answerTxFetch(known, few));
  }, 60_000);

  it("a peer over its byte budget is refused before its answer is built", async () => {
    // 2 MiB blocks asked whole: at most four a second (TX_FETCH_BYTES_PER_PEER_SECOND), each bound known exactly.
    const block = blockOf(32, 64 * 1024);
    const bytes = encodeTxFetchResponse({ block: encodeBlock(block) }).byteLength;
    const perSecond = Math.floor(TX_FETCH_BYTES_PER_PEER_SECOND / bytes);
    const { peer, built } = await serverOf(block);
    const fetch = await clientOf(peer);
    const whole = { height: 5, blockHash: new Uint8Array(32), txHashes: new Uint8Array(0) };
    const { answered, seconds } = await askRepeatedly(fetch, whole, 3 * perSecond);
    expect(built.n).toBeLessThanOrEqual(seconds * perSecond);
    expect(built.n < 3 * perSecond || seconds >= 3).toBe(true);
    expect(answered).toBe(built.n);
  }, 60_000);
});

describe("strangers share one tx fetch budget; persistent peers keep their own", () => {
  it("stranger ids asking for a whole block's hashes each have at most two blocks' worth looked up a second together", async () => {
    // Before: each peer id had a block's worth (20,000 lookups) a second, so 100 ids had 2,000,000.
    const n = BLOCK_PARAM_CAPS.maxBlockTxs;
    expect(TX_FETCH_STRANGERS_SHARE * TX_FETCH_HASHES_PER_PEER_SECOND).toBe(2 * n);
    const block = blockOf(n, 8);
    const named = await host();
    const second = 1_800_000_000_000; // one second throughout: nothing is given back meanwhile
    const { peer, built, known } = await serverOf(block, { persistent: [named.peerId.toString()], now: () => second });
    const all = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [...block.txs.keys()]) };
    const strangers = await Promise.all([1, 2, 3, 4].map(() => clientOf(peer)));
    const outcomes = await Promise.allSettled(strangers.map((fetch) => fetch(all)));
    const answered = outcomes.filter((o) => o.status === "fulfilled").length;
    expect(answered).toBe(TX_FETCH_STRANGERS_SHARE);
    expect(built.n).toBe(TX_FETCH_STRANGERS_SHARE);
    for (const o of outcomes) {
      if (o.status === "rejected") expect(o.reason).toMatchObject({ name: "TxFetchFailed", kind: "refused" });
    }

    // The persistent peer is held to its own bound only: its whole-block ask is answered, as answerTxFetch answers it.
    const fetchNamed = await clientOf(peer, named);
    expect(await fetchNamed(all)).toEqual(answerTxFetch(known, all));
    // A stranger that was answered has had its block's worth this second: another hash is refused.
    const few = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [7]) };
    const served = strangers[outcomes.findIndex((o) => o.status === "fulfilled")];
    await expect(served(few)).rejects.toMatchObject({ kind: "refused" });
  }, 60_000);

  it("strangers are served TX_FETCH_STRANGERS_SHARE peers' worth of requests a second together, split among them, unblamed past it", async () => {
    const block = blockOf(64, 8);
    const named = await host();
    const offences: string[] = [];
    const persistent = [named.peerId.toString()];
    const { peer, built } = await serverOf(block, { persistent, now: () => 1_800_000_000_000, offences });
    const share = TX_FETCH_STRANGERS_SHARE * DEFAULT_TX_FETCH.maxRequestsPerSecond;
    const one = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [1]) };
    // share + 3 stranger ids asking once each, one after another: the k-th is one of k strangers asking, its
    // credit share / k requests, so the first `share` are served and the rest refused.
    const strangers = await Promise.all(Array.from({ length: share + 3 }, () => clientOf(peer)));
    const answered: number[] = [];
    for (const fetch of strangers) answered.push((await askRepeatedly(fetch, one, 1)).answered);
    expect(answered.slice(0, share)).toEqual(Array.from({ length: share }, () => 1));
    expect(answered.slice(share)).toEqual([0, 0, 0]);
    expect(built.n).toBe(share);
    expect(offences).toEqual([]);
    // The persistent peer is still served.
    const fetchNamed = await clientOf(peer, named);
    expect(await fetchNamed(one)).toEqual(answerTxFetch({ block, bytes: () => encodeBlock(block) }, one));
  }, 60_000);

  it("the strangers' lookups are split among the strangers asking: ids that spend them each second leave an honest stranger its part", async () => {
    // Before, two stranger ids asking for a whole block's hashes at the start of every second spent the
    // strangers' lookups, and a full node asking for the few txs of a proposal it lacked was refused every time.
    const n = BLOCK_PARAM_CAPS.maxBlockTxs;
    const block = blockOf(n, 8);
    const named = await host();
    const clock = { ms: 1_800_000_000_000 };
    const { peer } = await serverOf(block, { persistent: [named.peerId.toString()], now: () => clock.ms });
    const all = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [...block.txs.keys()]) };
    const few = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [1, 2, 3]) };
    const [a, b, honest] = await Promise.all([1, 2, 3].map(() => clientOf(peer)));
    const answered = async (fetch: (r: TxFetchRequest) => Promise<TxFetchResponse>, req: TxFetchRequest) =>
      (await askRepeatedly(fetch, req, 1)).answered === 1;

    // The two come first and spend the strangers' two blocks' worth; the honest one still gets its part.
    expect(await answered(a, all)).toBe(true);
    expect(await answered(b, all)).toBe(true);
    expect(await answered(honest, few)).toBe(true);
    // The next second three strangers are asking: each earns a third, so a whole block is more than a sybil has.
    clock.ms += 1000;
    expect(await answered(a, all)).toBe(false);
    expect(await answered(b, all)).toBe(false);
    expect(await answered(honest, few)).toBe(true);
    // A second later a sybil has earned enough for a whole block again: large requests wait, not starve.
    clock.ms += 1000;
    expect(await answered(a, all)).toBe(true);
  }, 60_000);

  it("a node that names no persistent peer holds each stranger to the per-peer bounds only", async () => {
    const block = blockOf(BLOCK_PARAM_CAPS.maxBlockTxs, 8);
    const { peer, built } = await serverOf(block, { now: () => 1_800_000_000_000 });
    const all = { height: 5, blockHash: new Uint8Array(32), txHashes: hashesOf(block, [...block.txs.keys()]) };
    const strangers = await Promise.all([1, 2, 3, 4].map(() => clientOf(peer)));
    await Promise.all(strangers.map((fetch) => fetch(all)));
    expect(built.n).toBe(4);
  }, 60_000);

  it("strangers that never read hold at most TX_FETCH_BYTES_IN_FLIGHT_STRANGERS; a persistent peer's whole-block fetch is answered", async () => {
    // Before: answers to strangers that never read held all of TX_FETCH_BYTES_IN_FLIGHT for the serve timeout,
    // and a persistent peer's fetch was refused.
    const block = blockOf(7, 1_000_000); // ~7 MB: one a second per peer, two a second for all strangers
    const size = encodeTxFetchResponse({ block: encodeBlock(block) }).byteLength;
    expect(3 * size).toBeLessThanOrEqual(TX_FETCH_BYTES_IN_FLIGHT_STRANGERS);
    expect(4 * size).toBeGreaterThan(TX_FETCH_BYTES_IN_FLIGHT_STRANGERS);
    const named = await host();
    const clock = { ms: 1_800_000_000_000 };
    const { peer, known, server } = await serverOf(block, {
      persistent: [named.peerId.toString()],
      now: () => clock.ms,
      serveTimeoutMs: 60_000,
    });
    const whole = { height: 5, blockHash: new Uint8Array(32), txHashes: new Uint8Array(0) };
    const held = (n: number) => () => (server.stats.strangersBytesInFlight === n * size ? true : undefined);
    await stalledFetch(peer, whole);
    await stalledFetch(peer, whole);
    await waitFor("two answers held for strangers", held(2), 10_000);
    // The strangers' bytes a second are back once they are (a second later; and their part is the whole share
    // once the first two no longer count as asking), not their bytes in flight.
    clock.ms += ACTIVE_SECONDS * 1000;
    await stalledFetch(peer, whole);
    await waitFor("three answers held for strangers", held(3), 10_000);
    const fourth = await clientOf(peer);
    await expect(fourth(whole)).rejects.toMatchObject({ name: "TxFetchFailed", kind: "refused" });
    expect(server.stats.strangersBytesInFlight).toBe(3 * size);

    const fetchNamed = await clientOf(peer, named);
    const got = await fetchNamed(whole);
    // The whole block (compared as bytes: a deep equality of 7 MB element by element takes half a minute).
    expect(equalBytes(got.block ?? new Uint8Array(0), known.bytes())).toBe(true);
  }, 60_000);
});

/** A stranger that asks `server` for `req` and never reads the answer (its stream paused). */
async function stalledFetch(server: P2pHost, req: TxFetchRequest): Promise<void> {
  const node = await host();
  const stream = await node.dialProtocol(server.getMultiaddrs()[0], TX_FETCH_PROTOCOL);
  await lpStream(stream).write(encodeTxFetchRequest(req));
  stream.pause();
}
