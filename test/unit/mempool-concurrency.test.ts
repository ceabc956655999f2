import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import { msgSpend } from "../../state/execute.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const SENDERS = 3;
const NONCES = 6;
const VARIANTS = 2; // two different txs per sender + nonce: a replacement attempt

// Signed once for every run: txs[sender][nonce][variant]. Variants differ in amount, so in hash and spend.
const accounts = Array.from({ length: SENDERS }, () => new TestAccount());
const to = new Uint8Array(20);
const txs = accounts.map((a) =>
  Array.from({ length: NONCES }, (_, nonce) =>
    Array.from({ length: VARIANTS }, (_, v) => a.transfer(CHAIN, to, BigInt(1 + v) * FEE, FEE, { nonce })),
  ),
);
const pool = txs.flat(2);
// Signatures are remembered by hash once checked, so runs after the first are quick; one verifier for all.
const verifier = new TxVerifier(CHAIN);

type Step =
  | { kind: "batch"; picks: number[] }
  | { kind: "commit"; count: number }
  | { kind: "tick"; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      // Few distinct picks repeated: duplicates and same-nonce rivals in nearly every batch.
      picks: fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 30 }).chain((distinct) =>
        fc.array(fc.constantFrom(...distinct), { minLength: 1, maxLength: 40 }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("commit" as const), count: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(40_000) }) },
);

async function run(steps: Step[]): Promise<void> {
  const state = new Map<string, Account>();
  // Balances cover some but not all pending spends, so INSUFFICIENT_FUNDS races too.
  for (const a of accounts) state.set(keyId(a.address), { nonce: 0, balance: 8n * FEE });
  const clock = { ms: 0 };
  const mempool = new Mempool(
    {
      ...{ maxTxs: 12, maxBytes: 1 << 20, maxPerSender: 4 },
      ...{ ttlBlocks: 3, ttlMs: 60_000, maxGappedPerSender: 2, maxGappedTotal: 3 },
    },
    {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier,
      account: (a) => state.get(keyId(a)) ?? { nonce: 0, balance: 0n },
      includedAt: async () => undefined,
      now: () => clock.ms,
    },
  );
  const committed = new Set<string>();
  for (const s of steps) {
    if (s.kind === "batch") {
      const before = new Set(mempool.all().map((t) => t.id));
      const settled = await Promise.allSettled(s.picks.map((i) => mempool.add(pool[i].bytes)));
      const admitted = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      // Each hash, and each sender + nonce, admitted at most once, and never when already held.
      expect(new Set(admitted.map((t) => t.id)).size).toBe(admitted.length);
      expect(new Set(admitted.map((t) => `${keyId(t.sender)}/${t.body.nonce}`)).size).toBe(admitted.length);
      for (const t of admitted) expect(before.has(t.id)).toBe(false);
    } else if (s.kind === "commit") {
      const block = mempool.reap(s.count, 1 << 20);
      for (const t of block) {
        const account = state.get(keyId(t.sender)) as Account;
        state.set(keyId(t.sender), {
          nonce: t.body.nonce + 1,
          balance: account.balance - msgSpend(t.body.msg) - t.body.fee,
        });
        committed.add(t.id);
      }
      mempool.update(block);
    } else {
      clock.ms += s.ms;
    }
    expect(mempool.inFlight).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
    const held = mempool.all();
    expect(held).toHaveLength(mempool.size);
    expect(mempool.totalBytes).toBe(held.reduce((n, t) => n + t.bytes.byteLength, 0));
    for (const t of held) {
      // A committed tx has left every index, and nothing held has a nonce the chain already used.
      expect(committed.has(t.id)).toBe(false);
      expect(t.body.nonce).toBeGreaterThanOrEqual((state.get(keyId(t.sender)) as Account).nonce);
    }
    for (const id of committed) expect(mempool.has(id)).toBe(false);
  }
}

describe("mempool admission under concurrent batches", () => {
  it("keeps its books (bytes, hash index, nonce index) true through duplicates, replacements and commits", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), run), { numRuns: 60 });
  });
});
