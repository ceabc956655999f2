import { expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { type MempoolDrop, Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * A tx behind a nonce gap may never execute, so never pay: it must evict nothing from a full pool, also when
 * it comes as the replacement of a pending gapped tx (reviewer's finding: a replacement counted as executable).
 */

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const to = new Uint8Array(20);
const id = (t: { hash: Uint8Array }) => toHex(t.hash);

it("a replacement of a tx behind a nonce gap evicts nothing from a full pool", async () => {
  const accounts = new Map<string, Account>();
  const attacker = new TestAccount();
  const honest = Array.from({ length: 20 }, () => new TestAccount());
  for (const a of [attacker, ...honest]) accounts.set(keyId(a.address), { nonce: 0, balance: 10n ** 15n });
  const gapped = attacker.transfer(CHAIN, to, 1n, FEE, { nonce: 5 }); // nonces 0-4 never sent
  const bigMsg: TxMsg = { type: "create_datanet", name: "x", description: "d".repeat(700), license: "",
    curators: [], contributionStake: 0n, reviewFee: 0n, allowListed: false, contributors: [] };
  const bigReplacement = attacker.transfer(CHAIN, to, 1n, 100n * FEE, { nonce: 5, msg: bigMsg });
  const honestTxs = honest.map((h) => h.transfer(CHAIN, to, 1n, FEE, { nonce: 0 }));
  const maxBytes = gapped.bytes.byteLength + honestTxs.reduce((n, t) => n + t.bytes.byteLength, 0);
  const mempool = new Mempool(
    { maxTxs: 1000, maxBytes, maxPerSender: 16, ttlBlocks: 5, ttlMs: 60_000, maxGappedPerSender: 4, maxGappedTotal: 6 },
    { chainId: CHAIN, params: DEFAULT_PARAMS, verifier: new TxVerifier(CHAIN),
      account: (a) => accounts.get(keyId(a)) ?? { nonce: 0, balance: 0n }, includedAt: async () => undefined },
  );
  const drops: MempoolDrop[] = [];
  mempool.onDropped((_tx, why) => drops.push(why));
  await mempool.add(gapped.bytes);
  for (const t of honestTxs) await mempool.add(t.bytes);
  expect(mempool.full).toBe(true);

  const refusal = await mempool.add(bigReplacement.bytes).then(() => undefined, (e: unknown) => e);
  expect(refusal).toBeInstanceOf(TxError);
  expect((refusal as TxError).code).toBe("MEMPOOL_FULL");
  expect((refusal as TxError).message).toMatch(/behind a nonce gap evicts nothing/);
  expect(drops).toEqual([]);
  for (const t of honestTxs) expect(mempool.has(id(t))).toBe(true);
  expect(mempool.has(id(gapped))).toBe(true);
});
