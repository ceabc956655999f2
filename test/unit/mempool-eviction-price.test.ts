import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { type MempoolDrop, Mempool, type MempoolLimits } from "../../node/mempool.ts";
import { MAX_EVICTING_NONCE_AHEAD } from "../../node/mempool-limits.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * What a newcomer must pay to evict from a full pool (reviewer's findings): more per unit of the cap that
 * binds (not per byte when the count binds), at least the sum of its victims' fees, and only from the first
 * MAX_EVICTING_NONCE_AHEAD nonces of its sender (a tx far ahead may be voided before it pays).
 */

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const to = new Uint8Array(20);
const id = (t: { hash: Uint8Array }) => toHex(t.hash);

function bigMsg(descriptionBytes: number): TxMsg {
  return { type: "create_datanet", name: "x", description: "d".repeat(descriptionBytes), license: "", curators: [],
    contributionStake: 0n, reviewFee: 0n, allowListed: false, contributors: [] };
}

function setup(limits: Partial<MempoolLimits>) {
  const accounts = new Map<string, Account>();
  const mempool = new Mempool(
    { maxTxs: 1000, maxBytes: 1 << 20, maxPerSender: 16, ttlBlocks: 5, ttlMs: 60_000, maxGappedPerSender: 4,
      maxGappedTotal: 6, ...limits },
    { chainId: CHAIN, params: DEFAULT_PARAMS, verifier: new TxVerifier(CHAIN),
      account: (a) => accounts.get(keyId(a)) ?? { nonce: 0, balance: 0n }, includedAt: async () => undefined },
  );
  const drops: MempoolDrop[] = [];
  mempool.onDropped((_tx, why) => drops.push(why));
  const funded = (n: number) => Array.from({ length: n }, () => fund(new TestAccount()));
  const fund = (a: TestAccount) => {
    accounts.set(keyId(a.address), { nonce: 0, balance: 10n ** 18n });
    return a;
  };
  return { mempool, drops, funded, fund };
}

async function refusalOf(p: Promise<unknown>): Promise<TxError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof TxError)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e;
}

describe("a full pool's eviction price", () => {
  it("when the count cap binds, a small tx must outbid a big one's fee, not its fee per byte", async () => {
    const { mempool, drops, funded } = setup({ maxTxs: 10 });
    const [attacker, ...honest] = funded(11);
    const honestTxs = honest.map((h) => h.transfer(CHAIN, to, 0n, 100n * FEE, { nonce: 0, msg: bigMsg(4000) }));
    for (const t of honestTxs) await mempool.add(t.bytes);
    expect(mempool.full).toBe(true);
    // Paying ~1.1x the big txs' fee per byte: evicted one before, for ~4% of its fee.
    const probe = attacker.transfer(CHAIN, to, 1n, FEE, { nonce: 0 });
    const big = honestTxs[0].bytes.byteLength;
    const perByteFee = (100n * FEE * BigInt(probe.bytes.byteLength)) / BigInt(big) + FEE / 10n + 1n;
    const cheap = await refusalOf(mempool.add(attacker.transfer(CHAIN, to, 1n, perByteFee, { nonce: 0 }).bytes));
    expect(cheap.code).toBe("MEMPOOL_FULL");
    expect(drops).toEqual([]);
    // Paying more than a big one's fee takes its slot.
    const dear = attacker.transfer(CHAIN, to, 1n, 100n * FEE + 1n, { nonce: 0 });
    await mempool.add(dear.bytes);
    expect(mempool.has(id(dear))).toBe(true);
    expect(drops.map((d) => d.reason)).toEqual(["MEMPOOL_FULL"]);
  });

  it("a newcomer paying more per byte but less than its victims' fees together evicts nothing", async () => {
    const [victimSender, fillSender, attacker] = [new TestAccount(), new TestAccount(), new TestAccount()];
    const victim = victimSender.transfer(CHAIN, to, 0n, 100n * FEE, { nonce: 0, msg: bigMsg(4000) });
    const filler = fillSender.transfer(CHAIN, to, 1n, 1000n * FEE, { nonce: 0 }); // dear per byte: never a victim
    const newcomerMsg = bigMsg(850);
    const size = attacker.transfer(CHAIN, to, 0n, FEE, { nonce: 0, msg: newcomerMsg }).bytes.byteLength;
    // Half as much again per byte as the victim, so about a third of its fee.
    const fee = (150n * FEE * BigInt(size)) / BigInt(victim.bytes.byteLength);
    expect(fee < 100n * FEE).toBe(true);
    const newcomer = attacker.transfer(CHAIN, to, 0n, fee, { nonce: 0, msg: newcomerMsg });
    // The byte cap binds: the pool holds exactly the victim and the filler.
    const { mempool, drops, fund } = setup({ maxBytes: victim.bytes.byteLength + filler.bytes.byteLength });
    for (const a of [victimSender, fillSender, attacker]) fund(a);
    for (const t of [victim, filler]) await mempool.add(t.bytes);
    expect(mempool.full).toBe(true);
    const refusal = await refusalOf(mempool.add(newcomer.bytes));
    expect(refusal.code).toBe("MEMPOOL_FULL");
    expect(drops).toEqual([]);
    expect(mempool.has(id(victim))).toBe(true);
  });

  it(`only a sender's first ${MAX_EVICTING_NONCE_AHEAD} nonces above its account's may evict`, async () => {
    const { mempool, drops, funded } = setup({ maxTxs: MAX_EVICTING_NONCE_AHEAD + 2 });
    const [attacker, h1, h2] = funded(3);
    for (let nonce = 0; nonce < MAX_EVICTING_NONCE_AHEAD; nonce++) {
      await mempool.add(attacker.transfer(CHAIN, to, 1n, 100n * FEE, { nonce }).bytes);
    }
    const honestTxs = [h1, h2].map((h) => h.transfer(CHAIN, to, 1n, FEE, { nonce: 0 }));
    for (const t of honestTxs) await mempool.add(t.bytes);
    expect(mempool.full).toBe(true);
    const far = attacker.transfer(CHAIN, to, 1n, 100n * FEE, { nonce: MAX_EVICTING_NONCE_AHEAD });
    const refusal = await refusalOf(mempool.add(far.bytes));
    expect(refusal.code).toBe("MEMPOOL_FULL");
    expect(refusal.message).toMatch(new RegExp(`only the ${MAX_EVICTING_NONCE_AHEAD} nonces after`));
    expect(drops).toEqual([]);
    for (const t of honestTxs) expect(mempool.has(id(t))).toBe(true);
  });
});
