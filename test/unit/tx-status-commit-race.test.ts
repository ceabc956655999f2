import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import type { RpcContext } from "../../rpc/context.ts";
import { txMethods } from "../../rpc/methods/tx.ts";

/**
 * tx_getStatus reads the chain (async), then the mempool and the remembered fates. A block can commit while the
 * chain is read: its batch lands on disk, then the mempool lets its txs go (ChainApp.commit). A tx included in
 * it was then neither found on the chain nor pending, and was answered "unknown" (a CI run of tx-status.test.ts
 * met this: pending, then unknown, then included).
 */
describe("tx_getStatus while a block commits", () => {
  it("answers included, not unknown, for a tx committed between the chain read and the mempool's", async () => {
    const hash = new Uint8Array(32).fill(9);
    const hex = toHex(hash);
    let committed = false;
    let reads = 0;
    const record = { height: 7, index: 3, tx: new Uint8Array(0), resultBytes: new Uint8Array(0), result: { code: 0 } };
    const ctx = {
      db: {
        getTx: async () => {
          reads++;
          const onChain = committed;
          committed = true; // the block commits while this read is in flight: on disk, then out of the mempool
          return onChain ? record : undefined;
        },
      },
      mempool: { pendingReason: () => (committed ? undefined : { reason: "NONCE_GAP", message: "waits" }) },
      txFates: { get: () => undefined },
    } as unknown as RpcContext;
    const getStatus = txMethods.find((m) => m.name === "tx_getStatus");
    if (getStatus === undefined) throw new Error("tx_getStatus is not among txMethods");
    const answer = await getStatus.handler({ hash: hex } as never, ctx);
    expect(answer).toMatchObject({ hash: hex, status: "included", height: 7, index: 3, code: 0, reason: "OK" });
    expect(reads).toBe(2);
  });

  it("still answers unknown for a hash no one has, after looking at the chain again", async () => {
    const hex = toHex(new Uint8Array(32).fill(4));
    let reads = 0;
    const ctx = {
      db: { getTx: async () => (reads++, undefined) },
      mempool: { pendingReason: () => undefined },
      txFates: { get: () => undefined },
    } as unknown as RpcContext;
    const getStatus = txMethods.find((m) => m.name === "tx_getStatus");
    expect(await getStatus?.handler({ hash: hex } as never, ctx)).toEqual({ hash: hex, status: "unknown" });
    expect(reads).toBe(2);
  });
});
