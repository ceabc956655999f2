import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { Mempool, type MempoolLimits } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import { type DecodedTx, decodeTx } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { msgSpend } from "../../state/execute.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const SENDERS = 2;
const NONCES = 4;
const VARIANTS = 2; // two different txs per sender + nonce: a replacement attempt

// Signed once for every run: txs[sender][nonce][variant]. Variants differ in amount, so in hash and spend.
const accounts = Array.from({ length: SENDERS }, () => new TestAccount());
const to = new Uint8Array(20);
const txs = accounts.map((a) =>
  Array.from({ length: NONCES }, (_, nonce) =>
    Array.from({ length: VARIANTS }, (_, v) => a.transfer(CHAIN, to, BigInt(1 + v) * FEE, FEE, { nonce })),
  ),
);

/**
 * A forgery anyone can make: the sender's published public key, its next nonces, a body of the attacker's
 * choosing and a garbage signature (the last byte of a signed tx is the signature's).
 */
function forge(a: TestAccount, nonce: number, amount: bigint): Uint8Array {
  const bytes = Uint8Array.from(a.transfer(CHAIN, to, amount, FEE, { nonce }).bytes);
  bytes[bytes.length - 1] ^= 1;
  return bytes;
}
const forged = accounts.flatMap((a) =>
  Array.from({ length: NONCES }, (_, nonce) => ({ bytes: forge(a, nonce, 3n * FEE) })),
);
const pool = [...txs.flat(2), ...forged];

/** Each pool tx's signature verdict, checked once by the real verifier (see beforeAll). */
const verdicts = new Map<string, boolean>();
beforeAll(async () => {
  const real = new TxVerifier(CHAIN);
  for (const t of pool) {
    const tx = decodeTx(t.bytes);
    verdicts.set(tx.id, await real.verify(tx));
  }
});

/**
 * A verifier whose answers are held until the test releases them, in any order it likes: admissions stay
 * in flight across other admissions, commits and clock ticks, as they do when signatures are checked on
 * worker threads. The verdict itself is the real one, computed ahead.
 */
class GatedVerifier {
  readonly waiting: { tx: DecodedTx; release: () => void }[] = [];
  verify(tx: DecodedTx): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push({ tx, release: () => resolve(verdicts.get(tx.id) === true) });
    });
  }

  /** Releases the verdict at `index` (modulo the number waiting), if any is waiting. */
  releaseAt(index: number): void {
    if (this.waiting.length === 0) return;
    const [w] = this.waiting.splice(index % this.waiting.length, 1);
    w.release();
  }
}

/** Lets every admission run as far as it can (up to its signature check, or to its end). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

type Step =
  | { kind: "submit"; picks: number[] }
  | { kind: "release"; order: number[] }
  | { kind: "commit"; count: number }
  | { kind: "tick"; ms: number };

const submit: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant("submit" as const),
  // Few distinct picks repeated: duplicates and same-nonce rivals (valid and forged) in nearly every batch.
  picks: fc.array(fc.nat(pool.length - 1), { minLength: 1, maxLength: 8 }).chain((distinct) =>
    fc.array(fc.constantFrom(...distinct), { minLength: 1, maxLength: 20 }),
  ),
});
const release: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant("release" as const),
  order: fc.array(fc.nat(40), { minLength: 1, maxLength: 3 }), // a few at a time: commits land between
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: submit },
  { weight: 4, arbitrary: release },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("commit" as const), count: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat(40_000) }) },
);

function makeMempool(limits: MempoolLimits, state: Map<string, Account>, clock: { ms: number }) {
  const verifier = new GatedVerifier();
  const mempool = new Mempool(limits, {
    chainId: CHAIN,
    params: DEFAULT_PARAMS,
    verifier: verifier as unknown as TxVerifier,
    account: (a) => state.get(keyId(a)) ?? { nonce: 0, balance: 0n },
    includedAt: async () => undefined,
    now: () => clock.ms,
  });
  return { mempool, verifier };
}

const spendOf = (t: DecodedTx) => msgSpend(t.body.msg) + t.body.fee;

async function run(steps: Step[]): Promise<void> {
  const state = new Map<string, Account>();
  // Balances cover some but not all pending spends, so INSUFFICIENT_FUNDS races too.
  for (const a of accounts) state.set(keyId(a.address), { nonce: 0, balance: 8n * FEE });
  const clock = { ms: 0 };
  const { mempool, verifier } = makeMempool(
    {
      ...{ maxTxs: 12, maxBytes: 1 << 20, maxPerSender: 4 },
      ...{ ttlBlocks: 3, ttlMs: 60_000, maxGappedPerSender: 2, maxGappedTotal: 3 },
    },
    state,
    clock,
  );
  const committed = new Set<string>();
  let admissions = 0;
  mempool.onAdmitted((t) => {
    admissions++;
    // Checked at the moment of admission, against the state as it is then (commits may have landed while
    // the signature was checked): a valid signature, an unused nonce, a balance covering every pending spend.
    expect(verdicts.get(t.id)).toBe(true);
    const account = state.get(keyId(t.sender)) as Account;
    expect(t.body.nonce).toBeGreaterThanOrEqual(account.nonce);
    const pending = mempool.all().filter((h) => keyId(h.sender) === keyId(t.sender));
    expect(pending.reduce((n, h) => n + spendOf(h), 0n)).toBeLessThanOrEqual(account.balance);
  });
  const outcomes: Promise<PromiseSettledResult<DecodedTx>>[] = [];
  const check = () => {
    expect(mempool.consistencyProblems()).toEqual([]);
    const held = mempool.all();
    expect(held).toHaveLength(mempool.size);
    expect(mempool.size).toBeLessThanOrEqual(12);
    expect(mempool.totalBytes).toBe(held.reduce((n, t) => n + t.bytes.byteLength, 0));
    for (const t of held) {
      // Nothing forged, nothing committed, no used nonce, no overspent balance is ever held.
      expect(verdicts.get(t.id)).toBe(true);
      expect(committed.has(t.id)).toBe(false);
      const account = state.get(keyId(t.sender)) as Account;
      expect(t.body.nonce).toBeGreaterThanOrEqual(account.nonce);
      const pending = held.filter((h) => keyId(h.sender) === keyId(t.sender));
      expect(pending.reduce((n, h) => n + spendOf(h), 0n)).toBeLessThanOrEqual(account.balance);
    }
  };
  for (const s of steps) {
    if (s.kind === "submit") {
      for (const i of s.picks) {
        const p = mempool.add(pool[i].bytes);
        outcomes.push(Promise.allSettled([p]).then(([r]) => r));
      }
    } else if (s.kind === "release") {
      for (const i of s.order) verifier.releaseAt(i);
    } else if (s.kind === "commit") {
      // A block lands while admissions may be in flight.
      const block = mempool.reap(s.count, 1 << 20);
      for (const t of block) {
        const account = state.get(keyId(t.sender)) as Account;
        state.set(keyId(t.sender), { nonce: t.body.nonce + 1, balance: account.balance - spendOf(t) });
        committed.add(t.id);
      }
      mempool.update(block);
    } else {
      clock.ms += s.ms;
    }
    await settle();
    check();
  }
  while (verifier.waiting.length > 0) {
    verifier.releaseAt(0);
    await settle();
  }
  const settled = await Promise.all(outcomes);
  expect(mempool.inFlight).toBe(0);
  check();
  // Every admission answered exactly one caller; every refusal is a typed TxError.
  expect(settled.filter((r) => r.status === "fulfilled")).toHaveLength(admissions);
  for (const r of settled) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(TxError);
}

/**
 * One sender with ample balance and room; for each of its nonces one valid tx and forged rivals, submitted
 * in any order and any grouping, with signature checks finishing in any order. Every valid tx is admitted
 * (a forgery in flight must not hold its slot) and no forgery is.
 */
async function runForged(input: { order: number[]; groups: number[]; releases: number[] }): Promise<void> {
  const victim = accounts[0];
  const state = new Map<string, Account>([[keyId(victim.address), { nonce: 0, balance: 1000n * FEE }]]);
  const { mempool, verifier } = makeMempool(
    {
      ...{ maxTxs: 100, maxBytes: 1 << 20, maxPerSender: 16 },
      ...{ ttlBlocks: 10, ttlMs: 60_000, maxGappedPerSender: 16, maxGappedTotal: 16 },
    },
    state,
    { ms: 0 },
  );
  const valid = txs[0].map((variants) => variants[0].bytes);
  const rivals = [...forged.slice(0, NONCES).map((f) => f.bytes), ...forged.slice(0, NONCES).map((f) => f.bytes)];
  const all = [...valid, ...rivals];
  // A permutation of every submission, from the generated sort keys.
  const sequence = all.map((bytes, i) => ({ bytes, key: input.order[i] ?? i })).sort((a, b) => a.key - b.key);
  const outcomes = new Map<Uint8Array, Promise<PromiseSettledResult<DecodedTx>>[]>();
  let g = 0;
  let r = 0;
  while (sequence.length > 0) {
    for (const { bytes } of sequence.splice(0, 1 + ((input.groups[g++] ?? 0) % 4))) {
      const list = outcomes.get(bytes) ?? [];
      list.push(Promise.allSettled([mempool.add(bytes)]).then(([x]) => x));
      outcomes.set(bytes, list);
    }
    await settle();
    for (let n = input.groups[g++] ?? 1; n > 0; n--) verifier.releaseAt(input.releases[r++] ?? 0);
    await settle();
  }
  while (verifier.waiting.length > 0) {
    verifier.releaseAt(input.releases[r++] ?? 0);
    await settle();
  }
  for (const bytes of valid) {
    const [outcome] = await Promise.all(outcomes.get(bytes) ?? []);
    expect(outcome.status === "rejected" ? (outcome.reason as TxError).code : "admitted").toBe("admitted");
  }
  for (const bytes of rivals) {
    for (const outcome of await Promise.all(outcomes.get(bytes) ?? [])) {
      // Refused as forged, or before its signature is checked if the valid tx already holds the nonce.
      expect(["BAD_SIGNATURE", "NONCE_PENDING"]).toContain(
        outcome.status === "rejected" ? (outcome.reason as TxError).code : "admitted",
      );
    }
  }
  expect(mempool.size).toBe(NONCES);
  expect(mempool.consistencyProblems()).toEqual([]);
}

describe("mempool admission under concurrent batches", () => {
  it("keeps its books and its state checks true while commits land during signature checks", async () => {
    // Always tried first: two rivals for one nonce checked together; one is admitted and committed before
    // the other's check finishes, which must then be refused (its nonce is used), not inserted.
    const rivalCommitted: Step[] = [
      { kind: "submit", picks: [0, 1] },
      { kind: "release", order: [0] },
      { kind: "commit", count: 1 },
      { kind: "release", order: [0] },
    ];
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), run), {
      numRuns: 200,
      examples: [[rivalCommitted]],
    });
  });

  it("admits a valid tx whatever forged rivals for its sender + nonce are in flight", async () => {
    const n = NONCES * 3;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          order: fc.array(fc.nat(1000), { minLength: n, maxLength: n }),
          groups: fc.array(fc.nat(6), { maxLength: 2 * n }),
          releases: fc.array(fc.nat(40), { maxLength: 3 * n }),
        }),
        runForged,
      ),
      { numRuns: 60 },
    );
  });

  it("admits the victim's tx submitted while a forgery of its nonce is being checked (the reviewer's case)", async () => {
    // Every valid tx (keys 10..15) submitted after the forgery of its nonce (keys 0..5), one at a time, with
    // no signature check finishing until all are in.
    const validKeys = Array.from({ length: NONCES }, (_, i) => 10 + i);
    const order = [...validKeys, ...Array.from({ length: 2 * NONCES }, (_, i) => i)];
    await runForged({ order, groups: Array.from({ length: 6 * NONCES }, () => 0), releases: [] });
  });
});
