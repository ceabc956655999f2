import { describe, expect, it } from "vitest";
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * tx_simulate asks the mempool's refusalOf whether tx_submit would admit a tx: both must judge it by the
 * params in force (a governance change passed to useParams), not the ones the node started with.
 */
const CHAIN = "opl-test-1";

describe("the mempool after governance lowers minFee", () => {
  it("refusalOf and add both take a tx paying the new minimum", async () => {
    const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: new TxVerifier(CHAIN),
      account: () => ({ nonce: 0, balance: 10n ** 20n }),
      includedAt: async () => undefined,
    });
    const minFee = DEFAULT_PARAMS.minFee / 2n;
    mempool.useParams({ ...DEFAULT_PARAMS, minFee });
    const tx = new TestAccount().transfer(CHAIN, new TestAccount().address, 1n, minFee);
    expect(await mempool.refusalOf(decodeTx(tx.bytes))).toBeUndefined();
    await mempool.add(tx.bytes);
    expect(mempool.size).toBe(1);
  });
});
