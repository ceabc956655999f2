import { lpStream } from "@libp2p/utils";
import { afterEach, describe, expect, it } from "vitest";
import { SYNC_PROTOCOL } from "../../node/block-sync.ts";
import type { P2pHost } from "../../p2p/host.ts";
import { decodeBlockRequest } from "../../proto/p2p.ts";
import { fetchingSyncClient } from "../helpers/fetching-sync-client.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";
import { syncAnswerOf } from "../helpers/sync-answer.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A server answers a range empty when its budget is spent ("busy": the client rests it a moment, no blame).
 * The client keeps the ranges after it in flight and asks that range again (of another peer ahead, or of the
 * same once its rest is over); before, a busy answer dropped every range in flight, and each was asked for
 * again.
 */
const teardown = new TestTeardown();
afterEach(() => teardown.undo());

/** Serves blocks 1..count; the first request from `busyFrom` is answered empty (every request, if "always"). */
async function server(count: number, busyFrom: number | "always", asked: number[]): Promise<P2pHost> {
  const host = await teardown.host();
  await host.handle(SYNC_PROTOCOL, async (stream) => {
    const req = decodeBlockRequest((await lpStream(stream).read()).subarray());
    const busy = busyFrom === "always" || (req.fromHeight === busyFrom && !asked.includes(busyFrom));
    const n = busy ? 0 : Math.max(0, Math.min(req.count, count - req.fromHeight + 1));
    asked.push(req.fromHeight);
    stream.send(syncAnswerOf(req.fromHeight, n));
    await stream.close();
  });
  return host;
}

describe("block sync, answered busy", () => {
  it("keeps the ranges in flight and asks the busy range again once the server's rest is over", async () => {
    const asked: number[] = [];
    // Its first answer (the first range, 1..8) is busy; the second range (9..16) is already asked for by then.
    const peer = await server(16, 1, asked);
    const { applied, offences, sync } = await fetchingSyncClient({
      client: await teardown.host(),
      server: peer,
      height: 16,
      options: { batchBlocks: 8, rangesInFlight: 2, busyRetryMs: 50 },
    });
    teardown.defer(() => sync.stop());
    await waitFor("all 16 blocks applied", () => (applied.length === 16 ? true : undefined), 10_000);
    expect(applied).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    // 1..8 asked twice (busy, then served); 9..16 once: its answer was kept. The code before asked for
    // 9..16 again after the busy answer dropped it ([1, 9, 1, 9]).
    expect(asked.filter((h) => h === 1)).toHaveLength(2);
    expect(asked.filter((h) => h === 9)).toHaveLength(1);
    expect(asked).toHaveLength(3);
    expect(offences).toEqual([]);
  });

  it("asks a busy range of another peer ahead at once", async () => {
    const askedBusy: number[] = [];
    const askedOther: number[] = [];
    const busy = await server(16, "always", askedBusy);
    const other = await server(16, -1, askedOther);
    const client = await teardown.host();
    await client.dial(other.getMultiaddrs()[0]);
    const { applied, offences, sync } = await fetchingSyncClient({
      client,
      server: busy,
      height: 16,
      // A rest far past the test: the busy peer is not asked again while it lasts, so the blocks come from the
      // other (the code before restarted the sync on each busy answer, at times asking the other twice).
      options: { batchBlocks: 8, rangesInFlight: 2, busyRetryMs: 60_000 },
    });
    teardown.defer(() => sync.stop());
    sync.onStatus(other.peerId.toString(), 16); // before the sync's first check (a timer): both are known
    await waitFor("all 16 blocks applied", () => (applied.length === 16 ? true : undefined), 10_000);
    expect(applied).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(new Set(askedOther).size).toBe(askedOther.length); // no range asked of it twice
    expect(offences).toEqual([]);
  });
});
