import { describe, expect, it } from "vitest";
import type { RpcContext } from "../../rpc/context.ts";
import { DEFAULT_WS_LIMITS } from "../../rpc/ws/limits.ts";
import { endOfBlock } from "../../rpc/ws/place.ts";
import { Subscription, type SubscriptionHost } from "../../rpc/ws/subscription.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Unsubscribing stops a page being read. A pump waiting for one of the node's scan slots (or reading) went on
 * to read its page after unsubscribe, with the connection's signal only: subscribe and unsubscribe over and
 * over queued page reads without bound, each then thrown away (3,000 pairs left 17.6 s of scan-slot time).
 */
describe("a subscription stopped while its page is being read", () => {
  it("aborts the read, and its pump ends", async () => {
    let pageSignal: AbortSignal | undefined;
    const failures: unknown[] = [];
    // A scan slot that never frees: the page read waits until its signal aborts.
    const context = (signal: AbortSignal): RpcContext => ({
      request: {
        charge: () => {},
        scan: () => new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      },
    }) as unknown as RpcContext;
    const host: SubscriptionHost = {
      send: (_body, written) => written(),
      take: () => true,
      fits: () => true,
      give: () => {},
      onRoom: () => () => {},
      context: (signal) => {
        pageSignal = signal;
        return context(signal);
      },
      tip: () => 10,
      tooSlow: () => {},
      failed: (_sub, err) => failures.push(err),
    };
    const sub = new Subscription({
      id: "1",
      stream: { topic: "blocks", filter: undefined },
      digest: new Uint8Array(32),
      start: endOfBlock(0),
      host,
      limits: { ...DEFAULT_WS_LIMITS, stallTimeoutMs: 30_000 },
    });
    void sub.run();
    await waitFor("the page read waiting for a scan slot", () => pageSignal, 5_000);
    sub.stop();
    await sub.done;
    expect(pageSignal?.aborted).toBe(true);
    expect(failures).toEqual([]); // stopped, not failed: no error notification
  });
});
