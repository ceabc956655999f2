import { toBase64 } from "../../crypto/bytes.ts";
import type { RpcClient } from "../../rpc/client.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "./accounts.ts";
import { waitFor } from "./tmp.ts";

/** ~4 KB: a page of 100 such datanets is a ~450 KB answer, what a heavy list query looks like. */
const DESCRIPTION = "a long description of a datanet, ".repeat(120).slice(0, 4000);

/**
 * Creates `count` datanets with 4 KB descriptions from `owner` (nonces from owner.nonce) and waits until
 * datanet_list shows them all: the state that makes list queries heavy for the RPC abuse tests.
 */
export async function createHeavyDatanets(rpc: RpcClient, chainId: string, owner: TestAccount, count: number) {
  const txs = Array.from({ length: count }, (_, i) =>
    buildTx(
      {
        chainId,
        publicKey: owner.publicKey,
        nonce: owner.nonce++,
        fee: DEFAULT_PARAMS.minFee * 10n,
        msg: {
          type: "create_datanet",
          name: `datanet ${i}`,
          description: DESCRIPTION,
          license: "CC-BY-4.0",
          curators: [],
          contributionStake: ONE_OPEN,
          reviewFee: ONE_OPEN / 10n,
          allowListed: false,
          contributors: [],
        },
      },
      (m) => owner.sign(m),
    ));
  // In batches of 32: a batch's calls are checked concurrently, and a later nonce admitted before an earlier
  // one waits behind a gap; the mempool takes at most 64 of those per sender (maxGappedPerSender).
  for (let i = 0; i < txs.length; i += 32) {
    const batch = txs.slice(i, i + 32);
    const replies = await rpc.batch(batch.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
    const refused = replies.find((r) => r.error !== undefined);
    if (refused !== undefined) throw new Error(`create_datanet refused: ${refused.error?.message}`);
  }
  await waitFor("the datanets to be created", async () => {
    const page = await rpc.call<{ items: unknown[] }>("datanet_list", { limit: 100 });
    return page.items.length >= count ? true : undefined;
  });
}
