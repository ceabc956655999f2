import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { Mempool, type MempoolLimits } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Account } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;

/** Counts signature checks that actually ran (not answered from the verifier's memory). */
class CountingVerifier extends TxVerifier {
  checks = 0;
  override async verify(tx: Parameters<TxVerifier["verify"]>[0]): Promise<boolean> {
    if (!this.isVerified(tx)) this.checks++;
    return super.verify(tx);
  }
}

function setup(limits: Partial<MempoolLimits> = {}) {
  const verifier = new CountingVerifier(CHAIN);
  const accounts = new Map<string, Account>();
  const included = new Map<string, number>();
  const clock = { ms: 1_000_000 };
  const mempool = new Mempool(
    {
      maxTxs: 1000,
      maxBytes: 1 << 20,
      maxPerSender: 16,
      ttlBlocks: 5,
      ttlMs: 60_000,
      maxGappedPerSender: 4,
      maxGappedTotal: 6,
      ...limits,
    },
    {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier,
      account: (a) => accounts.get(keyId(a)) ?? { nonce: 0, balance: 0n },
      includedAt: async (h) => included.get(toHex(h)),
      now: () => clock.ms,
    },
  );
  const fund = (a: TestAccount, balance: bigint, nonce = 0) =>
    accounts.set(keyId(a.address), { nonce, balance });
  return { mempool, fund, accounts, included, clock, verifier };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TxError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("mempool admission", () => {
  it("admits a valid tx once and refuses the duplicate", async () => {
    const { mempool, fund } = setup();
    const alice = new TestAccount();
    fund(alice, 100n * FEE);
    const tx = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    await mempool.add(tx.bytes);
    expect(mempool.size).toBe(1);
    expect(await refusal(mempool.add(tx.bytes))).toBe("ALREADY_KNOWN");
  });

  it("checks the signature of copies arriving together once, and gives every copy the first one's answer", async () => {
    const { mempool, fund, verifier } = setup();
    const alice = new TestAccount();
    fund(alice, 100n * FEE);
    const tx = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    const forged = tx.bytes.slice();
    forged[forged.length - 1] ^= 1;
    const forgedAnswers = await Promise.all([1, 2, 3].map(() => refusal(mempool.add(forged))));
    expect(forgedAnswers).toEqual(["BAD_SIGNATURE", "BAD_SIGNATURE", "BAD_SIGNATURE"]);
    expect(verifier.checks).toBe(1);
    const answers = await Promise.allSettled([1, 2, 3].map(() => mempool.add(tx.bytes)));
    expect(answers.map((a) => (a.status === "fulfilled" ? "admitted" : (a.reason as TxError).code))).toEqual([
      "admitted",
      "ALREADY_KNOWN",
      "ALREADY_KNOWN",
    ]);
    expect(verifier.checks).toBe(2);
    expect(mempool.size).toBe(1);
  });

  it("refuses each kind of bad transaction with its own reason", async () => {
    const { mempool, fund, included } = setup();
    const alice = new TestAccount();
    fund(alice, 100n * FEE, 3);
    const to = new Uint8Array(20);
    const good = alice.transfer(CHAIN, to, FEE, FEE, { nonce: 3 });
    const badSig = good.bytes.slice();
    badSig[badSig.length - 1] ^= 1;
    expect(await refusal(mempool.add(badSig))).toBe("BAD_SIGNATURE");
    expect(await refusal(mempool.add(alice.transfer(CHAIN, to, FEE, FEE, { nonce: 2 }).bytes))).toBe(
      "NONCE_TOO_LOW",
    );
    const old = alice.transfer(CHAIN, to, FEE, FEE, { nonce: 1 });
    included.set(toHex(old.hash), 7);
    expect(await refusal(mempool.add(old.bytes))).toBe("ALREADY_INCLUDED");
    expect(await refusal(mempool.add(alice.transfer(CHAIN, to, FEE, FEE, { nonce: 3 + 16 }).bytes))).toBe(
      "NONCE_TOO_HIGH",
    );
    expect(await refusal(mempool.add(alice.transfer("other-1", to, FEE, FEE, { nonce: 3 }).bytes))).toBe(
      "WRONG_CHAIN_ID",
    );
    expect(await refusal(mempool.add(alice.transfer(CHAIN, to, FEE, 1n, { nonce: 3 }).bytes))).toBe(
      "FEE_TOO_LOW",
    );
    expect(await refusal(mempool.add(alice.transfer(CHAIN, to, 100n * FEE, FEE, { nonce: 3 }).bytes))).toBe(
      "INSUFFICIENT_FUNDS",
    );
    expect(await refusal(mempool.add(Uint8Array.of(1, 2, 3)))).toBe("TX_MALFORMED");
    expect(await refusal(mempool.add(good.bytes.subarray(0, good.bytes.length - 10)))).toBe("TX_MALFORMED");
    expect(await refusal(mempool.add(new Uint8Array(DEFAULT_PARAMS.maxTxBytes + 1)))).toBe("TX_TOO_LARGE");
    expect(mempool.size).toBe(0);
    await mempool.add(good.bytes);
    expect(await refusal(mempool.add(alice.transfer(CHAIN, to, 2n * FEE, FEE, { nonce: 3 }).bytes))).toBe(
      "NONCE_PENDING",
    );
  });

  it("counts every pending spend of a sender against its balance", async () => {
    const { mempool, fund } = setup();
    const alice = new TestAccount();
    fund(alice, 10n * FEE);
    await mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 4n * FEE, FEE).bytes);
    await mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 4n * FEE, FEE).bytes);
    expect(await refusal(mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes))).toBe(
      "INSUFFICIENT_FUNDS",
    );
  });

  it("refuses when full", async () => {
    const { mempool, fund } = setup({ maxTxs: 2 });
    const alice = new TestAccount();
    fund(alice, 100n * FEE);
    await mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes);
    await mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes);
    expect(await refusal(mempool.add(alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes))).toBe(
      "MEMPOOL_FULL",
    );
  });
});

describe("mempool ordering and eviction", () => {
  it("reaps contiguous nonces per sender, round-robin across senders, skipping gaps", async () => {
    const { mempool, fund } = setup();
    const [a, b] = [new TestAccount(), new TestAccount()];
    fund(a, 100n * FEE);
    fund(b, 100n * FEE);
    const to = new Uint8Array(20);
    const a0 = a.transfer(CHAIN, to, 1n, FEE);
    const a1 = a.transfer(CHAIN, to, 1n, FEE);
    const a3 = a.transfer(CHAIN, to, 1n, FEE, { nonce: 3 });
    const b0 = b.transfer(CHAIN, to, 1n, FEE);
    // arrive out of order
    for (const t of [a1, a3, b0, a0]) await mempool.add(t.bytes);
    const reaped = mempool.reap(100, 1 << 20).map((t) => toHex(t.hash));
    expect(reaped).toEqual([a0, b0, a1].map((t) => toHex(t.hash)));
    expect(mempool.reap(2, 1 << 20)).toHaveLength(2);
  });

  it("after a block, drops included and now-invalid txs and keeps the rest", async () => {
    const { mempool, fund } = setup();
    const a = new TestAccount();
    fund(a, 100n * FEE);
    const to = new Uint8Array(20);
    const txs = [0, 1, 2, 3].map(() => a.transfer(CHAIN, to, 10n * FEE, FEE));
    for (const t of txs) await mempool.add(t.bytes);
    // A block includes nonces 0 and 1, and the account also lost funds elsewhere: only one more tx fits.
    fund(a, 12n * FEE, 2);
    mempool.update([decodeTx(txs[0].bytes), decodeTx(txs[1].bytes)]);
    expect(mempool.has(toHex(txs[0].hash))).toBe(false);
    expect(mempool.has(toHex(txs[1].hash))).toBe(false);
    expect(mempool.has(toHex(txs[2].hash))).toBe(true);
    expect(mempool.has(toHex(txs[3].hash))).toBe(false);
    expect(mempool.size).toBe(1);
  });

  it("tells why each tx left unincluded (tx_getStatus's fates), and says nothing of included ones", async () => {
    const { mempool, fund } = setup({ ttlBlocks: 3 });
    const drops = new Map<string, { status: string; reason: string }>();
    mempool.onDropped((tx, why) => drops.set(tx.id, why));
    const [a, b] = [new TestAccount(), new TestAccount()];
    fund(a, 100n * FEE);
    fund(b, 100n * FEE);
    const to = new Uint8Array(20);
    const txs = [0, 1, 2].map(() => a.transfer(CHAIN, to, 10n * FEE, FEE));
    for (const t of txs) await mempool.add(t.bytes);
    const gapped = b.transfer(CHAIN, to, 1n, FEE, { nonce: 2 });
    await mempool.add(gapped.bytes);
    expect(mempool.pendingReason(toHex(gapped.hash))).toMatchObject({ reason: "NONCE_GAP" });
    expect(mempool.pendingReason(toHex(txs[1].hash))).toMatchObject({ reason: "QUEUED" });
    // A block includes a's nonce 0; another tx of a's (not this one) used nonce 1; a's balance now covers
    // nothing more: nonce 2 is refused after admission.
    fund(a, 5n * FEE, 2);
    mempool.update([decodeTx(txs[0].bytes)]);
    expect(drops.has(toHex(txs[0].hash))).toBe(false); // included: the chain tells that
    expect(drops.get(toHex(txs[1].hash))).toMatchObject({ status: "rejected", reason: "NONCE_TOO_LOW" });
    expect(drops.get(toHex(txs[2].hash))).toMatchObject({ status: "rejected", reason: "INSUFFICIENT_FUNDS" });
    for (let block = 1; block < 3; block++) mempool.update([]); // 3 blocks since b's tx came: the TTL
    expect(drops.has(toHex(gapped.hash))).toBe(false);
    mempool.update([]);
    expect(drops.get(toHex(gapped.hash))).toMatchObject({ status: "evicted", reason: "TTL" });
    expect(mempool.pendingReason(toHex(gapped.hash))).toBeUndefined();
  });

  it("caps transactions waiting behind a nonce gap, per sender and in total, but not executable ones", async () => {
    const { mempool, fund } = setup();
    const [a, b] = [new TestAccount(), new TestAccount()];
    fund(a, 100n * FEE);
    fund(b, 100n * FEE);
    const to = new Uint8Array(20);
    for (let nonce = 1; nonce <= 4; nonce++) await mempool.add(a.transfer(CHAIN, to, 1n, FEE, { nonce }).bytes);
    expect(await refusal(mempool.add(a.transfer(CHAIN, to, 1n, FEE, { nonce: 5 }).bytes))).toBe("NONCE_TOO_HIGH");
    for (let nonce = 1; nonce <= 2; nonce++) await mempool.add(b.transfer(CHAIN, to, 1n, FEE, { nonce }).bytes);
    expect(mempool.gappedCount).toBe(6);
    expect(await refusal(mempool.add(b.transfer(CHAIN, to, 1n, FEE, { nonce: 3 }).bytes))).toBe("NONCE_TOO_HIGH");
    // Filling the gap is always possible, and it makes everything behind it executable.
    await mempool.add(a.transfer(CHAIN, to, 1n, FEE, { nonce: 0 }).bytes);
    expect(mempool.gappedCount).toBe(2);
    expect(mempool.reap(100, 1 << 20)).toHaveLength(5);
  });

  it("admits a sender's consecutive nonces arriving together while the gap cap is full (no false gap)", async () => {
    // A client's batch is admitted many calls at a time: nonce n+1 is checked while n waits for its signature
    // check. With the cap of gapped txs reached (under overload it is), n+1 must not be refused as if n were
    // missing: that refusal cascaded over every later nonce of the sender and was sent again and again.
    const { mempool, fund } = setup({ maxGappedTotal: 2 });
    const [stuck, a] = [new TestAccount(), new TestAccount()];
    fund(stuck, 100n * FEE);
    fund(a, 100n * FEE);
    const to = new Uint8Array(20);
    for (let nonce = 1; nonce <= 2; nonce++) await mempool.add(stuck.transfer(CHAIN, to, 1n, FEE, { nonce }).bytes);
    expect(mempool.gappedCount).toBe(2);
    const run = Array.from({ length: 8 }, (_, nonce) => a.transfer(CHAIN, to, 1n, FEE, { nonce }));
    const answers = await Promise.all(run.map((t) => mempool.add(t.bytes).then(() => "ok", (err: TxError) => err.code)));
    expect(answers).toEqual(run.map(() => "ok"));
    expect(mempool.gappedCount).toBe(2);
    expect(mempool.reap(100, 1 << 20)).toHaveLength(8);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("still refuses a later nonce whose in-flight predecessor fails its signature check, once the gap cap is full", async () => {
    const { mempool, fund } = setup({ maxGappedTotal: 0 });
    const a = new TestAccount();
    fund(a, 100n * FEE);
    const to = new Uint8Array(20);
    const first = a.transfer(CHAIN, to, 1n, FEE, { nonce: 0 });
    const forged = first.bytes.slice();
    forged[forged.length - 1] ^= 1; // the signature is the last field
    const second = a.transfer(CHAIN, to, 1n, FEE, { nonce: 1 });
    const [r0, r1] = await Promise.all([refusal(mempool.add(forged)), refusal(mempool.add(second.bytes))]);
    expect([r0, r1]).toEqual(["BAD_SIGNATURE", "NONCE_TOO_HIGH"]);
    expect(mempool.size).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("a forgery in flight with a sender's nonce does not get the sender's real tx of that nonce refused (gap cap full)", async () => {
    // Review finding: the first check counted every in-flight nonce as present, its own included, so the real
    // nonce-0 tx "left a gap" behind the forged nonce 0 and was refused NONCE_TOO_HIGH before its signature
    // was checked. Anyone copying a public key could block that sender whenever the gap cap is full.
    const { mempool, fund } = setup({ maxGappedTotal: 0 });
    const a = new TestAccount();
    fund(a, 100n * FEE);
    const real = a.transfer(CHAIN, new Uint8Array(20), 1n, FEE, { nonce: 0 });
    const forged = a.transfer(CHAIN, new Uint8Array(20), 2n, FEE, { nonce: 0 }).bytes.slice();
    forged[forged.length - 1] ^= 1; // a different body and a broken signature: a forgery of nonce 0
    const [rf, rr] = await Promise.all([refusal(mempool.add(forged)), mempool.add(real.bytes).then(() => "ok", (e: TxError) => e.code)]);
    expect(rf).toBe("BAD_SIGNATURE");
    expect(rr).toBe("ok");
    expect(mempool.size).toBe(1);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("drops transactions stuck behind a nonce gap once they outlive the TTL", async () => {
    const { mempool, fund } = setup({ ttlBlocks: 3 });
    const a = new TestAccount();
    fund(a, 100n * FEE);
    const gapped = a.transfer(CHAIN, new Uint8Array(20), 1n, FEE, { nonce: 2 });
    await mempool.add(gapped.bytes);
    for (let block = 0; block < 3; block++) mempool.update([]);
    expect(mempool.has(toHex(gapped.hash))).toBe(true);
    mempool.update([]);
    expect(mempool.has(toHex(gapped.hash))).toBe(false);
    expect(mempool.size).toBe(0);
  });

  it("drops transactions by wall time while no block is made, at admission, reap or the node's sweep", async () => {
    const { mempool, fund, clock } = setup({ ttlMs: 60_000 });
    const [a, b] = [new TestAccount(), new TestAccount()];
    fund(a, 100n * FEE);
    fund(b, 100n * FEE);
    const to = new Uint8Array(20);
    const gapped = a.transfer(CHAIN, to, 1n, FEE, { nonce: 2 });
    const executable = a.transfer(CHAIN, to, 1n, FEE, { nonce: 0 });
    await mempool.add(gapped.bytes);
    clock.ms += 30_000;
    await mempool.add(executable.bytes);
    clock.ms += 30_000;
    // Exactly the TTL: still there.
    mempool.expire();
    expect(mempool.size).toBe(2);
    clock.ms += 1;
    // No block is made; the next admission (of anything) drops the stale one first.
    await mempool.add(b.transfer(CHAIN, to, 1n, FEE).bytes);
    expect(mempool.has(toHex(gapped.hash))).toBe(false);
    expect(mempool.has(toHex(executable.hash))).toBe(true);
    clock.ms += 30_000;
    expect(mempool.reap(100, 1 << 20).map((t) => toHex(t.hash))).not.toContain(toHex(executable.hash));
    clock.ms += 30_001; // b's tx, admitted at the third step, is now past the TTL too
    mempool.expire();
    expect(mempool.size).toBe(0);
    expect(mempool.totalBytes).toBe(0);
    expect(mempool.gappedCount).toBe(0);
    expect(mempool.consistencyProblems()).toEqual([]);
    // Its nonce slot is free again.
    await mempool.add(gapped.bytes);
  });
});
