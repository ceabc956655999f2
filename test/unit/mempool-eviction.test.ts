import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { CheapestFirst, cheaperPerWeight, type Price } from "../../node/cheapest-first.ts";
import { type MempoolDrop, Mempool, type MempoolLimits } from "../../node/mempool.ts";
import { MAX_EVICTIONS_PER_ADMISSION, minReplacementFee } from "../../node/mempool-limits.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import type { DecodedTx } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { msgSpend } from "../../state/execute.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * Issue 15's eviction reasons: replace-by-fee (same sender and nonce, a fee at least 10% higher) and a full
 * mempool making room for a tx that pays more per byte than the cheapest pending one (each sender's highest
 * nonce only). Each evicted tx leaves a fate (tx_getStatus's), and the books stay exact.
 */

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const to = new Uint8Array(20);

function setup(limits: Partial<MempoolLimits> = {}) {
  const accounts = new Map<string, Account>();
  const clock = { ms: 1_000_000 };
  const mempool = new Mempool(
    {
      ...{ maxTxs: 1000, maxBytes: 1 << 20, maxPerSender: 16, ttlBlocks: 5, ttlMs: 60_000 },
      ...{ maxGappedPerSender: 4, maxGappedTotal: 6 },
      ...limits,
    },
    {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: new TxVerifier(CHAIN),
      account: (a) => accounts.get(keyId(a)) ?? { nonce: 0, balance: 0n },
      includedAt: async () => undefined,
      now: () => clock.ms,
    },
  );
  const drops = new Map<string, MempoolDrop>();
  mempool.onDropped((tx, why) => {
    expect(mempool.has(tx.id)).toBe(false); // told once it is gone
    drops.set(tx.id, why);
  });
  const fund = (a: TestAccount, balance: bigint, nonce = 0) => accounts.set(keyId(a.address), { nonce, balance });
  return { mempool, drops, fund, accounts, clock };
}

async function refusal(p: Promise<unknown>): Promise<TxError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TxError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

const id = (t: { hash: Uint8Array }) => toHex(t.hash);

describe("replace-by-fee", () => {
  it("replaces a pending tx with one paying at least 10% more for the same nonce, and records why", async () => {
    const { mempool, drops, fund } = setup();
    const alice = new TestAccount();
    fund(alice, 1000n * FEE);
    const first = alice.transfer(CHAIN, to, FEE, 10n * FEE, { nonce: 0 });
    const next = alice.transfer(CHAIN, to, FEE, 10n * FEE, { nonce: 1 });
    await mempool.add(first.bytes);
    await mempool.add(next.bytes);

    // Not enough more: refused, saying what would do.
    const least = minReplacementFee(10n * FEE);
    expect(least).toBe(11n * FEE);
    const cheap = await refusal(mempool.add(alice.transfer(CHAIN, to, 2n * FEE, least - 1n, { nonce: 0 }).bytes));
    expect(cheap.code).toBe("NONCE_PENDING");
    expect(cheap.message).toContain(`at least ${least}`);
    expect(cheap.data).toMatchObject({ pending: id(first), minReplacementFee: least.toString() });
    expect(mempool.has(id(first))).toBe(true);

    const better = alice.transfer(CHAIN, to, 2n * FEE, least, { nonce: 0 });
    await mempool.add(better.bytes);
    expect(mempool.has(id(first))).toBe(false);
    expect(mempool.has(id(better))).toBe(true);
    expect(drops.get(id(first))).toMatchObject({ status: "evicted", reason: "REPLACED", replacedBy: id(better) });
    expect(drops.size).toBe(1);
    // The books: two txs, their bytes, and alice's spend are now the replacement's and nonce 1's.
    expect(mempool.size).toBe(2);
    expect(mempool.totalBytes).toBe(better.bytes.byteLength + next.bytes.byteLength);
    expect(mempool.pendingOf(alice.address)?.spend).toBe(2n * FEE + least + FEE + 10n * FEE);
    expect(mempool.pendingReason(id(better))).toMatchObject({ reason: "QUEUED" });
    expect(mempool.reap(10, 1 << 20).map(id)).toEqual([id(better), id(next)]);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("counts the replaced tx's spend out, not in, against the sender's balance", async () => {
    const { mempool, fund } = setup();
    const alice = new TestAccount();
    // Covers one tx of 50 FEE + 10 FEE of fee, not two, and a replacement of 55 FEE + 11 FEE alone.
    fund(alice, 70n * FEE);
    await mempool.add(alice.transfer(CHAIN, to, 50n * FEE, 10n * FEE, { nonce: 0 }).bytes);
    await mempool.add(alice.transfer(CHAIN, to, 55n * FEE, 11n * FEE, { nonce: 0 }).bytes);
    expect(mempool.size).toBe(1);
    expect(mempool.pendingOf(alice.address)?.spend).toBe(66n * FEE);
    expect((await refusal(mempool.add(alice.transfer(CHAIN, to, 60n * FEE, 13n * FEE, { nonce: 0 }).bytes))).code).toBe(
      "INSUFFICIENT_FUNDS",
    );
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("a replacement waiting behind a gap stays there, and the gap counts do not move", async () => {
    const { mempool, fund } = setup();
    const alice = new TestAccount();
    fund(alice, 1000n * FEE);
    await mempool.add(alice.transfer(CHAIN, to, FEE, FEE, { nonce: 2 }).bytes);
    expect(mempool.gappedCount).toBe(1);
    const again = alice.transfer(CHAIN, to, FEE, 2n * FEE, { nonce: 2 });
    await mempool.add(again.bytes);
    expect(mempool.gappedCount).toBe(1);
    expect(mempool.pendingReason(id(again))).toMatchObject({ reason: "NONCE_GAP" });
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("a block that includes the replaced tx (reaped before the replacement) commits; the replacement is then dropped", async () => {
    const { mempool, drops, fund } = setup();
    const alice = new TestAccount();
    fund(alice, 1000n * FEE);
    const old = alice.transfer(CHAIN, to, FEE, FEE, { nonce: 0 });
    await mempool.add(old.bytes);
    const proposal = mempool.reap(10, 1 << 20); // a proposal being built holds the old tx
    const replacement = alice.transfer(CHAIN, to, FEE, 2n * FEE, { nonce: 0 });
    await mempool.add(replacement.bytes);
    expect(drops.get(id(old))).toMatchObject({ reason: "REPLACED" });
    // That proposal is decided: the old tx used nonce 0; the replacement can never execute.
    fund(alice, 1000n * FEE - 2n * FEE, 1);
    mempool.update(proposal);
    expect(mempool.size).toBe(0);
    expect(drops.get(id(replacement))).toMatchObject({ status: "rejected", reason: "NONCE_TOO_LOW" });
    expect(mempool.totalBytes).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
  });
});

describe("a full mempool", () => {
  it("evicts the cheapest per weight of the senders' highest nonces for a tx paying more per weight", async () => {
    const { mempool, drops, fund } = setup({ maxTxs: 3 });
    const [a, b, c, d] = [new TestAccount(), new TestAccount(), new TestAccount(), new TestAccount()];
    for (const x of [a, b, c, d]) fund(x, 1000n * FEE);
    const a0 = a.transfer(CHAIN, to, FEE, FEE); // the cheapest, but below a's nonce 1: never evicted first
    const a1 = a.transfer(CHAIN, to, FEE, 30n * FEE);
    const b0 = b.transfer(CHAIN, to, FEE, 20n * FEE);
    for (const t of [a0, a1, b0]) await mempool.add(t.bytes);

    // Paying no more per byte than any candidate: refused, as before this policy, with nothing evicted.
    const poor = await refusal(mempool.add(c.transfer(CHAIN, to, FEE, 20n * FEE, { nonce: 0 }).bytes));
    expect(poor.code).toBe("MEMPOOL_FULL");
    expect(poor.message).toMatch(/cheapest evictable tx pays as much for its room/);
    expect(drops.size).toBe(0);

    const c0 = c.transfer(CHAIN, to, FEE, 25n * FEE);
    await mempool.add(c0.bytes);
    expect(mempool.has(id(b0))).toBe(false);
    expect(drops.get(id(b0))).toMatchObject({ status: "evicted", reason: "MEMPOOL_FULL" });
    expect(drops.get(id(b0))?.message).toContain(id(c0));
    // Now a1 (30) and c0 (25) are the tips; a0 pays least but evicting it would leave a1 behind a gap.
    const d0 = d.transfer(CHAIN, to, FEE, 26n * FEE);
    await mempool.add(d0.bytes);
    expect(drops.get(id(c0))).toMatchObject({ reason: "MEMPOOL_FULL" });
    expect([a0, a1, d0].every((t) => mempool.has(id(t)))).toBe(true);
    expect(mempool.size).toBe(3);
    expect(mempool.gappedCount).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("after a's highest nonce goes, its next one becomes evictable", async () => {
    const { mempool, drops, fund } = setup({ maxTxs: 2 });
    const [a, b, c] = [new TestAccount(), new TestAccount(), new TestAccount()];
    for (const x of [a, b, c]) fund(x, 1000n * FEE);
    const a0 = a.transfer(CHAIN, to, FEE, 2n * FEE);
    const a1 = a.transfer(CHAIN, to, FEE, FEE);
    await mempool.add(a0.bytes);
    await mempool.add(a1.bytes);
    await mempool.add(b.transfer(CHAIN, to, FEE, 5n * FEE).bytes);
    expect(drops.get(id(a1))).toMatchObject({ reason: "MEMPOOL_FULL" });
    await mempool.add(c.transfer(CHAIN, to, FEE, 5n * FEE).bytes);
    expect(drops.get(id(a0))).toMatchObject({ reason: "MEMPOOL_FULL" });
    expect(mempool.pendingOf(a.address)).toBeUndefined();
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("never evicts the newcomer's own sender (that would leave it behind a gap), nor for a gapped newcomer", async () => {
    const { mempool, drops, fund } = setup({ maxTxs: 2 });
    const [a, b] = [new TestAccount(), new TestAccount()];
    for (const x of [a, b]) fund(x, 1000n * FEE);
    await mempool.add(a.transfer(CHAIN, to, FEE, FEE).bytes);
    await mempool.add(b.transfer(CHAIN, to, FEE, 3n * FEE).bytes);
    // a's nonce 1 pays more than a's own nonce 0 (the cheapest), but not more than b's.
    expect((await refusal(mempool.add(a.transfer(CHAIN, to, FEE, 2n * FEE, { nonce: 1 }).bytes))).code).toBe("MEMPOOL_FULL");
    // A tx behind a nonce gap may never execute, so never pay: it evicts nothing, whatever its fee.
    const gapped = await refusal(mempool.add(b.transfer(CHAIN, to, FEE, 100n * FEE, { nonce: 5 }).bytes));
    expect(gapped.code).toBe("MEMPOOL_FULL");
    expect(gapped.message).toContain("nonce gap");
    expect(drops.size).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("evicts several smaller txs for a larger one when bytes bind, cheapest first", async () => {
    const senders = [0, 1, 2].map(() => new TestAccount());
    const held = senders.map((s, i) => s.transfer(CHAIN, to, 1n, BigInt(10 + i) * FEE));
    const big = new TestAccount();
    // A larger amount and fee take more bytes (varints): larger than any one held tx, not than two.
    const large = big.transfer(CHAIN, to, 10n ** 12n * FEE, 1000n * FEE);
    const sizes = held.map((t) => t.bytes.byteLength);
    expect(large.bytes.byteLength).toBeGreaterThan(Math.max(...sizes));
    expect(large.bytes.byteLength).toBeLessThanOrEqual(sizes[0] + sizes[1]);
    const { mempool, drops, fund } = setup({ maxBytes: sizes[0] + sizes[1] + sizes[2] });
    for (const s of senders) fund(s, 1000n * FEE);
    fund(big, 10n ** 13n * FEE);
    for (const t of held) await mempool.add(t.bytes);
    await mempool.add(large.bytes);
    // The two cheapest went, the dearest stayed.
    expect(drops.get(id(held[0]))).toMatchObject({ reason: "MEMPOOL_FULL" });
    expect(drops.get(id(held[1]))).toMatchObject({ reason: "MEMPOOL_FULL" });
    expect(mempool.has(id(held[2]))).toBe(true);
    expect(mempool.totalBytes).toBe(sizes[2] + large.bytes.byteLength);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("evicts at most MAX_EVICTIONS_PER_ADMISSION txs for one admission", async () => {
    const n = MAX_EVICTIONS_PER_ADMISSION + 1;
    const senders = Array.from({ length: n }, () => new TestAccount());
    const held = senders.map((s) => s.transfer(CHAIN, to, 1n, FEE));
    const small = Math.max(...held.map((t) => t.bytes.byteLength));
    const { mempool, drops, fund } = setup({ maxTxs: n });
    for (const s of senders) fund(s, 1000n * FEE);
    for (const t of held) await mempool.add(t.bytes);
    // With the count cap at n, one eviction makes room: one, not more, goes.
    const rich = new TestAccount();
    fund(rich, 1000n * FEE);
    await mempool.add(rich.transfer(CHAIN, to, 1n, 2n * FEE).bytes);
    expect(drops.size).toBe(1);
    expect(small).toBeGreaterThan(0);
    expect(mempool.size).toBe(n);
    expect(mempool.consistencyProblems()).toEqual([]);
  });
});

describe("nothing is lost", () => {
  // Real signatures, made once: senders x nonces x fee levels. Bodies differ by fee, so every tx is distinct.
  const SENDERS = 4;
  const NONCES = 3;
  const LEVELS = 4;
  const senders = Array.from({ length: SENDERS }, () => new TestAccount());
  const signed = senders.map((s) =>
    Array.from({ length: NONCES }, (_, nonce) =>
      Array.from({ length: LEVELS }, (_, level) => s.transfer(CHAIN, to, FEE, BigInt(1 + 3 * level) * FEE, { nonce })),
    ),
  );

  const reasonsSeen = new Set<string>();
  const step = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        sender: fc.nat(SENDERS - 1),
        nonce: fc.nat(NONCES - 1),
        level: fc.nat(LEVELS - 1),
        await: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("commit" as const), take: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const) }) },
  );

  it("every tx ever admitted is pending, included, or has a recorded fate, admissions overlapping; the books stay exact", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const { mempool, drops, fund, accounts, clock } = setup({ maxTxs: 3, maxGappedTotal: 2, ttlBlocks: 3 });
        for (const s of senders) fund(s, 1000n * FEE);
        const admitted = new Set<string>();
        mempool.onDropped((_tx, why) => reasonsSeen.add(why.reason));
        const included = new Set<string>();
        const inFlight: Promise<void>[] = [];
        for (const s of steps) {
          if (s.kind === "add") {
            // Not awaited: admissions overlap each other (rivals for a nonce, replacements, evictions) and
            // the blocks and expiry below, their signature checks finishing later.
            const t = signed[s.sender][s.nonce][s.level];
            inFlight.push(
              mempool.add(t.bytes).then(
                () => void admitted.add(id(t)),
                (err: unknown) => {
                  if (!(err instanceof TxError)) throw err;
                },
              ),
            );
            if (s.await) await Promise.all(inFlight.splice(0));
          } else if (s.kind === "commit") {
            const block: DecodedTx[] = mempool.reap(s.take, 1 << 20);
            for (const tx of block) {
              const acc = accounts.get(keyId(tx.sender)) as Account;
              const balance = acc.balance - msgSpend(tx.body.msg) - tx.body.fee;
              accounts.set(keyId(tx.sender), { nonce: acc.nonce + 1, balance });
              included.add(tx.id);
            }
            mempool.update(block);
          } else {
            clock.ms += 30_001;
            mempool.expire();
          }
          expect(mempool.consistencyProblems()).toEqual([]);
        }
        await Promise.all(inFlight);
        expect(mempool.consistencyProblems()).toEqual([]);
        for (const h of admitted) {
          // tx_getStatus looks in this order: the chain, the mempool, the fates. (A tx dropped and sent again
          // is pending with an old fate behind it: pending is what it answers.)
          const where = `tx ${h}: pending ${mempool.has(h)}, included ${included.has(h)}, fate ${drops.has(h)}`;
          expect(included.has(h) || mempool.has(h) || drops.has(h), where).toBe(true);
          expect(included.has(h) && mempool.has(h), where).toBe(false);
        }
        for (const why of drops.values()) {
          if (why.reason === "REPLACED") expect(admitted.has(why.replacedBy as string)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    // The runs went through both new eviction reasons, not only the old ones.
    expect([...reasonsSeen]).toEqual(expect.arrayContaining(["REPLACED", "MEMPOOL_FULL", "TTL"]));
  });
});

describe("the eviction index (CheapestFirst)", () => {
  it("gives the k cheapest per weight, in order, through any sequence of sets and deletes, without changing", () => {
    const op = fc.record({
      item: fc.nat(19),
      fee: fc.bigInt({ min: 0n, max: 1000n }),
      weight: fc.bigInt({ min: 1n, max: 50n }),
      del: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat(8), (ops, k) => {
        const prices = new Map<number, Price>();
        const index = new CheapestFirst<number>((i) => prices.get(i) as Price);
        for (const o of ops) {
          if (o.del) {
            index.delete(o.item);
            prices.delete(o.item);
          } else {
            prices.set(o.item, { fee: o.fee, weight: o.weight });
            index.set(o.item);
          }
        }
        expect(index.size).toBe(prices.size);
        const got = index.cheapest(k).map((i) => prices.get(i) as Price);
        const order = (a: Price, b: Price) => (cheaperPerWeight(a, b) ? -1 : cheaperPerWeight(b, a) ? 1 : 0);
        const want = [...prices.values()].sort(order).slice(0, k);
        // Ties may come in any order: compare the prices, not the items.
        const perByte = (p: Price) => Number(p.fee) / Number(p.weight);
        expect(got.map(perByte)).toEqual(want.map(perByte));
        expect(index.cheapest(k).length).toBe(got.length); // reading twice gives the same: nothing moved
      }),
      { numRuns: 300 },
    );
  });
});
