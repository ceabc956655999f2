import { lpStream } from "@libp2p/utils";
import { afterEach, describe, expect, it } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { SYNC_PROTOCOL } from "../../node/block-sync.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { type Block, blockHash, encodeBlock } from "../../proto/block.ts";
import { decodeBlockRequest, encodeSyncedBlock, SYNC_RESPONSE_BYTES } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { waitFor } from "../helpers/tmp.ts";
import { lengthPrefixed } from "../helpers/wire-bytes.ts";
import { fetchingSyncClient } from "../helpers/fetching-sync-client.ts";

/**
 * Block sync's request timeout is about a server gone quiet, not about a whole response of up to 64 full
 * blocks (hundreds of MB) arriving within it: on a modest link that takes minutes, and an honest server
 * must not be distrusted for it. A server whose answer keeps coming (here: 2 MiB in 10 s, 100 pieces, against
 * a 2 s timeout) is heard out; one that goes quiet is dropped after the timeout, and so is one that
 * keeps trickling far below the minimum rate.
 *
 * Client and server share this process: an event-loop stall longer than the timeout minus the gap between
 * pieces (GC, a loaded CI machine) makes the client time out, distrust and penalise the only server, whose
 * height is announced once here, so nothing more is synced. The heard-out test leaves ~1.9 s for that.
 */
const teardown = new TestTeardown();
afterEach(() => teardown.undo());
const host = () => teardown.host();

const lp = lengthPrefixed;

const answers = new Map<string, Uint8Array>();

/** The whole answer to a request for blocks 1..count, as the sync protocol frames it (built once). */
function answer(count: number, txsPerBlock = 16): Uint8Array {
  const key = `${count}/${txsPerBlock}`;
  let bytes = answers.get(key);
  if (bytes === undefined) answers.set(key, (bytes = buildAnswer(count, txsPerBlock)));
  return bytes;
}

function buildAnswer(count: number, txsPerBlock: number): Uint8Array {
  const parts = [lp(Uint8Array.of(0, 0, 0, count))];
  for (let h = 1; h <= count; h++) {
    // 256 KiB of transactions each (the client here does not execute them): 2 MiB for the 8 blocks.
    const txs = Array.from({ length: txsPerBlock }, (_, i) => new Uint8Array(16 * 1024).fill(i));
    const block: Block = { ...smallBlock({ height: h, timeMs: 1_700_000_000_000 + h }), txs };
    const commit = { height: h, round: 0, blockHash: blockHash(block.header), signatures: [] };
    parts.push(lp(encodeSyncedBlock(encodeBlock(block), commit)));
  }
  return concatBytes(...parts);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A server that sends its answer in `pieces` pieces, `gapMs` apart (or stops after `stopAfter` pieces). */
async function slowServer(pieces: number, gapMs: number, stopAfter = pieces, txsPerBlock = 16): Promise<P2pHost> {
  const server = await host();
  await server.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    const bytes = answer(req.count, txsPerBlock);
    const size = Math.ceil(bytes.byteLength / pieces);
    for (let i = 0; i < stopAfter && stream.status === "open"; i++) {
      stream.send(bytes.subarray(i * size, (i + 1) * size));
      await sleep(gapMs);
    }
    if (stopAfter === pieces && stream.status === "open") await stream.close();
  });
  return server;
}

async function syncFrom(
  server: P2pHost,
  count: number,
  requestTimeoutMs = 600,
  hooks: {
    durableWrites?: (durable: boolean) => Promise<void>;
    onFatal?: (err: unknown) => void;
    endSync?: () => void;
  } = {},
) {
  const client = await host();
  const { applied, offences, sync } = await fetchingSyncClient({
    client,
    server,
    height: count,
    options: { requestTimeoutMs, batchBlocks: count },
    chain: { endSync: hooks.endSync, durableWrites: hooks.durableWrites },
    onFatal: hooks.onFatal,
  });
  teardown.defer(() => sync.stop());
  return { applied, offences };
}

describe("block sync over a slow link", () => {
  it("a server whose answer keeps coming, for five times the request timeout, is heard out", async () => {
    answer(8); // built before the request: not inside the 2 s the first bytes are due in
    const server = await slowServer(100, 100);
    const { applied, offences } = await syncFrom(server, 8, 2000);
    // 10 s of answer; room for a loaded machine. An offence fails at once (nothing more would come).
    await waitFor("all 8 blocks", () => (applied.length === 8 || offences.length > 0 ? true : undefined), 30_000);
    expect(offences).toEqual([]);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("a disk failure when the synced blocks are made durable stops the node: consensus does not resume on them", async () => {
    const server = await slowServer(1, 0);
    const fatal: unknown[] = [];
    let resumed = false;
    const { applied } = await syncFrom(server, 8, 600, {
      // Unsynced writes while syncing go through; the fsync before consensus resumes fails.
      durableWrites: async (durable) => {
        if (durable) throw new Error("EIO: the disk failed the fsync");
      },
      onFatal: (err) => fatal.push(err),
      endSync: () => (resumed = true),
    });
    await waitFor("the node stopping on the failed fsync", () => (fatal.length > 0 ? true : undefined), 10_000);
    expect(applied.length).toBeGreaterThan(0);
    expect(String(fatal[0])).toMatch(/EIO/);
    expect(resumed).toBe(false);
  });

  it("a server that goes quiet mid-answer is dropped after the timeout", async () => {
    const server = await slowServer(30, 100, 3);
    const { applied, offences } = await syncFrom(server, 8);
    await waitFor("quiet server penalised", () => (offences.length > 0 ? true : undefined), 10_000);
    expect(applied).toEqual([]);
    expect(offences[0]).toMatch(/block sync/);
  });

  it("a server that answers more bytes than SYNC_RESPONSE_BYTES past the first block is dropped", async () => {
    // Three blocks of 6 MiB: the third takes the answer past the 16 MiB limit; nothing of it is applied.
    expect(SYNC_RESPONSE_BYTES).toBeLessThan(3 * 6 * 1024 * 1024);
    const server = await slowServer(1, 0, 1, 384);
    const { applied, offences } = await syncFrom(server, 3, 10_000); // building 18 MiB takes the server a while
    await waitFor("oversized answer penalised", () => (offences.length > 0 ? true : undefined), 20_000);
    expect(applied).toEqual([]);
    expect(offences[0]).toMatch(/exceeds/);
  });

  it("a server that trickles its answer far below the minimum rate is dropped", async () => {
    const server = await slowServer(3000, 100); // ~7 KB/s, where DEFAULT_BLOCK_SYNC asks for 64 KiB/s
    const { applied, offences } = await syncFrom(server, 8);
    await waitFor("trickling server penalised", () => (offences.length > 0 ? true : undefined), 10_000);
    expect(applied).toEqual([]);
    expect(offences[0]).toMatch(/stalled/);
  });
});
