import { toBase64 } from "../../crypto/bytes.ts";
import type { RpcClient } from "../../rpc/client.ts";
import type { BuiltTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "./accounts.ts";
import type { Notified } from "./ws-client.ts";

/**
 * A history of large notifications for the WebSocket slow-client tests: a datanet and contributions whose
 * metadata and uri are as long as the params allow (~12 KB per txs item), so a client that never reads is sent
 * more than the kernel's socket buffers hold before the node's own queue for it fills.
 */
const FEE = DEFAULT_PARAMS.minFee;

/** Submits txs in batches of 100; any refusal throws. */
export async function submitAll(rpc: RpcClient, txs: BuiltTx[]): Promise<void> {
  for (let i = 0; i < txs.length; i += 100) {
    const replies = await rpc.batch(
      txs.slice(i, i + 100).map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })),
    );
    const refused = replies.find((r) => r.error !== undefined);
    if (refused !== undefined) throw new Error(`tx refused: ${refused.error?.message}`);
  }
}

/** Polls until the address's nonce reaches `count` (a deadline, not a sleep, decides failure). */
export async function committedAll(rpc: RpcClient, address: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const acct = await rpc.call<{ nonce: number }>("account_get", { address });
    if (acct.nonce >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${acct.nonce} of ${count} txs of ${address} committed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The owner creates datanet 1 (on a fresh chain); each sender then contributes `perSender` large entries. */
export async function largeContributions(
  rpc: RpcClient,
  chainId: string,
  owner: TestAccount,
  senders: TestAccount[],
  perSender: number,
  timeoutMs = 30_000,
): Promise<void> {
  const msg = {
    type: "create_datanet" as const,
    name: "large",
    description: "",
    license: "CC-BY-4.0",
    curators: [] as Uint8Array[],
    contributionStake: ONE_OPEN / 100n,
    reviewFee: ONE_OPEN / 1000n,
    allowListed: false,
    contributors: [] as Uint8Array[],
  };
  await submitAll(rpc, [owner.transfer(chainId, owner.address, 0n, FEE, { msg })]);
  await committedAll(rpc, owner.bech32, owner.nonce, timeoutMs);
  const { maxMetadataBytes, maxUriBytes } = DEFAULT_PARAMS.datanets;
  const metadata = JSON.stringify({ pad: "x".repeat(maxMetadataBytes - 12) });
  await submitAll(rpc, senders.flatMap((s, k) =>
    Array.from({ length: perSender }, (_, i) => {
      const contentHash = new Uint8Array(32);
      contentHash.set([k, i & 0xff, i >> 8]);
      const uri = `ipfs://${"u".repeat(maxUriBytes - 16)}${k}-${i}`;
      const contribute = { type: "contribute" as const, datanetId: 1, contentHash, uri, sizeBytes: 1, metadata };
      return s.transfer(chainId, s.address, 0n, FEE, { msg: contribute });
    })));
  for (const s of senders) await committedAll(rpc, s.bech32, s.nonce, timeoutMs);
}

/** Every tx hash tx_search finds for a filter, in chain order (all pages). */
export async function searchHashes(rpc: RpcClient, filter: Record<string, unknown>): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await rpc.call<{ items: { hash: string }[]; cursor: string | null; done: boolean }>(
      "tx_search",
      { ...filter, limit: 100, ...(cursor === undefined ? {} : { cursor }) },
    );
    out.push(...page.items.map((i) => i.hash));
    if (page.cursor !== null) cursor = page.cursor;
    if (page.done) return out;
  }
}

/** Mean time between consecutive blocks, from their header times. */
export function meanInterval(blocks: Notified[]): number {
  const t = blocks.map((b) => Date.parse(b.time as string));
  return (t[t.length - 1] - t[0]) / (t.length - 1);
}
