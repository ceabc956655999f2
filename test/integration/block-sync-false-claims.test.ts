import { lpStream } from "@libp2p/utils";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BlockSync, SYNC_PROTOCOL } from "../../node/block-sync.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { PeerScores } from "../../p2p/peer-scores.ts";
import { decodeBlockRequest } from "../../proto/p2p.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { syncAnswerOf } from "../helpers/sync-answer.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A peer may claim any height. Once a sync has applied an honest peer's blocks (consensus held while they are
 * applied), the ranges past the honest tip can only go to peers claiming more; each such peer may stall its
 * answer up to the request timeout, and a next honest block now and then reset the failure count, so peers
 * claiming far heights kept a validator from voting. Now consensus is held only while blocks in hand are
 * applied, and for HOLD_FOR_ANSWER_MS of a wait for more: the sync waits for the rest without holding any
 * height back.
 */
const log = pino({ level: "silent" });
const teardown = new TestTeardown();
afterEach(() => teardown.undo());
const host = () => teardown.host();

/** A server of blocks 1..count that answers once `release` resolves; `asked` counts its requests. */
async function honestServer(count: number, release: Promise<void>, asked: { n: number }): Promise<P2pHost> {
  const server = await host();
  await server.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    asked.n++;
    await release;
    stream.send(syncAnswerOf(req.fromHeight, Math.min(req.count, count - req.fromHeight + 1)));
    await stream.close();
  });
  return server;
}

/**
 * A stranger that answers only its first request for `height`, with that one block (after `before`), and
 * never answers any other (the rest of its claim); `asked` collects the heights its requests start from.
 */
async function strangerAnsweringOnce(height: number, asked: number[], before = () => {}): Promise<P2pHost> {
  const stranger = await host();
  await stranger.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    asked.push(req.fromHeight);
    if (req.fromHeight !== height || asked.filter((h) => h === height).length > 1) return;
    before();
    stream.send(syncAnswerOf(height, 1));
    await stream.close();
  });
  return stranger;
}

/** A peer that takes block requests and never answers (its claim of a far height is all it has). */
async function silentServer(asked: { n: number }): Promise<P2pHost> {
  const server = await host();
  await server.handle(SYNC_PROTOCOL, async (stream) => {
    await lpStream(stream).read();
    asked.n++;
  });
  return server;
}

/**
 * A block sync client on a new host whose chain is `applied` (its height the list's length): `held` counts
 * consensus held and given back, `synced` the heights block sync applied. A request timeout far past the
 * tests: a range is never given up on while they run.
 */
async function syncingClient(applied: number[], synced: number[] = []) {
  const client = await host();
  const held = { begun: 0, ended: 0 };
  const sync = new BlockSync({
    host: client,
    db: undefined as never, // only serving reads the block store
    scores: new PeerScores({ log, disconnect: () => {} }),
    log,
    onFatal: (err) => {
      throw err;
    },
    options: { graceMs: 0, checkMs: 50, requestTimeoutMs: 120_000, batchBlocks: 8 },
    chain: {
      height: () => applied.length,
      beginSync: () => held.begun++,
      applySynced: async (block) => {
        synced.push(block.header.height);
        applied.push(block.header.height);
        return true;
      },
      endSync: () => held.ended++,
    },
  });
  await sync.start();
  teardown.defer(() => sync.stop());
  return { client, held, sync };
}

describe("peers claiming heights they cannot serve", () => {
  it("do not hold consensus once the honest blocks are applied: it resumes while their ranges are awaited", async () => {
    let releaseHonest = () => {};
    const askedHonest = { n: 0 };
    const askedSilent = { n: 0 };
    const honest = await honestServer(8, new Promise<void>((r) => (releaseHonest = r)), askedHonest);
    const silent = await silentServer(askedSilent);
    const applied: number[] = [];
    const { client, held, sync } = await syncingClient(applied);
    await client.dial(honest.getMultiaddrs()[0]);
    await client.dial(silent.getMultiaddrs()[0]);
    // The honest peer's range is asked for first (it alone is ahead); then the silent one claims far more.
    sync.onStatus(honest.peerId.toString(), 8);
    await waitFor("the honest range requested", () => (askedHonest.n > 0 ? true : undefined), 10_000);
    sync.onStatus(silent.peerId.toString(), 1_000_000);
    releaseHonest();
    await waitFor("the honest blocks applied", () => (applied.length === 8 ? true : undefined), 10_000);
    expect(held.begun).toBe(1);
    // The next range can only go to the silent peer: consensus resumes while it is awaited.
    await waitFor("consensus resumed", () => (held.ended === held.begun ? true : undefined), 10_000);
    // Its range was asked for, and is still awaited: consensus is not held meanwhile.
    await waitFor("the silent peer asked for blocks", () => (askedSilent.n > 0 ? true : undefined), 10_000);
    expect(held.ended).toBe(held.begun);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("a peer that serves one real block, then withholds the rest of its claim, does not hold consensus", async () => {
    // The stranger has the network's next block (from gossip) a moment before the node commits it; it claims a
    // far height, answers the node's first range with that one block, and never answers the rest.
    const asked: number[] = []; // the heights its requests start from
    const stranger = await strangerAnsweringOnce(6, asked);
    const applied = [1, 2, 3, 4, 5];
    const synced: number[] = [];
    const { client, held, sync } = await syncingClient(applied, synced);
    await client.dial(stranger.getMultiaddrs()[0]);
    sync.onStatus(stranger.peerId.toString(), 1_000_000);
    await waitFor("the real block applied", () => (synced.length === 1 ? true : undefined), 10_000);
    await waitFor("the rest of its claim asked for", () => (asked.includes(7) ? true : undefined), 10_000);
    expect(synced).toEqual([6]);
    expect(held.begun).toBe(1); // held while the block in hand was applied
    // Its next range is awaited (for the request timeout, 120 s here): consensus goes on meanwhile. The code
    // before counted the peer as "served" and held consensus for the whole wait (ended 0).
    await waitFor("consensus resumed", () => (held.ended === held.begun ? true : undefined), 10_000);
    expect(held.ended).toBe(1);
  });

  it("a peer that answers only with blocks consensus has already committed does not hold consensus", async () => {
    // The stranger claims a far height, holds its first answer until the node has committed that height
    // itself, answers with any block of it (skipped unchecked), then leaves the rest of its range waiting.
    const committedByConsensus: { next: () => void } = { next: () => {} };
    const asked: number[] = []; // the heights its requests start from
    // The node commits that height through consensus while the stranger holds its answer.
    const stranger = await strangerAnsweringOnce(6, asked, () => committedByConsensus.next());
    const applied = [1, 2, 3, 4, 5];
    committedByConsensus.next = () => applied.push(applied.length + 1);
    const synced: number[] = [];
    const { client, held, sync } = await syncingClient(applied, synced);
    await client.dial(stranger.getMultiaddrs()[0]);
    sync.onStatus(stranger.peerId.toString(), 1_000_000);
    // Its answer dealt with, the sync starts over from the chain's next height (7): asked of it again.
    await waitFor("the stranger asked again", () => (asked.includes(7) ? true : undefined), 10_000);
    expect(synced).toEqual([]);
    expect(held.begun).toBe(held.ended); // consensus is not held (the code before held it, begun 1, ended 0)
  });
});
