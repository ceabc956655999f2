import { describe, expect, it } from "vitest";
import { DEFAULT_MEMPOOL_LIMITS, Mempool, MIN_ADMISSION_QUEUE } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { decodeTx } from "../../proto/tx.ts";
import { TxError } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { MSG_WORK, TX_BASE_WORK, txWork, VERIFY_WORK } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * Issue 12: the mempool holds a few blocks' worth of work, not minutes of it: a tx admitted is committed
 * within a few blocks, and the excess is refused at once with MEMPOOL_FULL (back-pressure a client sees),
 * instead of waiting behind a backlog of tens of seconds.
 */

const CHAIN = "opl-test-1";

function signedTransfers(n: number) {
  return Array.from({ length: n }, () => new TestAccount()).map((a) =>
    a.transfer(CHAIN, new TestAccount().address, 1n, DEFAULT_PARAMS.minFee));
}

function mempoolFor(maxBlockWork: number) {
  return new Mempool(DEFAULT_MEMPOOL_LIMITS, {
    chainId: CHAIN,
    params: { ...DEFAULT_PARAMS, maxBlockWork },
    verifier: new TxVerifier(CHAIN),
    account: () => ({ nonce: 0, balance: 10n ** 20n }),
    includedAt: async () => undefined,
  });
}

async function admitUntilFull(mempool: Mempool, txs: readonly { bytes: Uint8Array }[]) {
  for (let i = 0; i < txs.length; i++) {
    try {
      await mempool.add(txs[i].bytes);
    } catch (err) {
      if (err instanceof TxError && err.code === "MEMPOOL_FULL") return i;
      throw err;
    }
  }
  return txs.length;
}

describe("mempool sized by work", () => {
  it("by default it holds maxWorkBlocks blocks' worth of work and refuses the next tx MEMPOOL_FULL", async () => {
    const txs = signedTransfers(60);
    const each = txWork(decodeTx(txs[0].bytes));
    const mempool = mempoolFor(each * 10); // a block holds 10 of these transfers
    const admitted = await admitUntilFull(mempool, txs);
    expect(admitted).toBe(10 * DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks);
    expect(mempool.totalWork).toBe(admitted * each);
  });

  it("a committed block frees its work for new txs", async () => {
    const txs = signedTransfers(12);
    const each = txWork(decodeTx(txs[0].bytes));
    const mempool = mempoolFor(each * 2);
    const admitted = await admitUntilFull(mempool, txs);
    expect(admitted).toBe(2 * DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks);
    const block = mempool.reap(DEFAULT_PARAMS.maxBlockTxs, DEFAULT_PARAMS.maxBlockBytes, each * 2);
    expect(block.length).toBe(2);
    for (const tx of block) mempool.remove(tx);
    expect(mempool.totalWork).toBe((admitted - 2) * each);
    await mempool.add(txs[admitted].bytes);
    expect(mempool.consistencyProblems()).toEqual([]);
  });

  it("the default limits hold seconds of blocks, not minutes", () => {
    // The most a default mempool can hold, in blocks at the default work limit: the work cap, or the count
    // cap filled with the cheapest tx there is, whichever binds first.
    const cheapest = VERIFY_WORK + TX_BASE_WORK + Math.min(...Object.values(MSG_WORK));
    const byCount = Math.ceil((DEFAULT_MEMPOOL_LIMITS.maxTxs * cheapest) / DEFAULT_PARAMS.maxBlockWork);
    expect(Math.min(DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks, byCount)).toBeLessThanOrEqual(8);
  });

  it("refuses MEMPOOL_FULL at once while as many txs as it checks in ADMISSION_QUEUE_MS already wait for their signature check", async () => {
    // A verifier that holds every check until released: admissions pile up waiting for it.
    const held: (() => void)[] = [];
    class HeldVerifier extends TxVerifier {
      override async verify(tx: Parameters<TxVerifier["verify"]>[0]): Promise<boolean> {
        await new Promise<void>((r) => held.push(r));
        return super.verify(tx);
      }
    }
    const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: new HeldVerifier(CHAIN),
      account: () => ({ nonce: 0, balance: 10n ** 20n }),
      includedAt: async () => undefined,
    });
    const txs = signedTransfers(MIN_ADMISSION_QUEUE + 1);
    const waiting = txs.slice(0, MIN_ADMISSION_QUEUE).map((t) => mempool.add(t.bytes));
    expect(mempool.inFlight).toBe(MIN_ADMISSION_QUEUE);
    await expect(mempool.add(txs[MIN_ADMISSION_QUEUE].bytes)).rejects.toMatchObject({ code: "MEMPOOL_FULL" });
    for (const release of held) release();
    await Promise.all(waiting);
    expect(mempool.size).toBe(MIN_ADMISSION_QUEUE);
  });

  it("while its admission queue is full, a resend of a tx it holds is ALREADY_KNOWN, and new bytes are MEMPOOL_FULL undecoded", async () => {
    const held: (() => void)[] = [];
    let holding = false;
    class HeldVerifier extends TxVerifier {
      override async verify(tx: Parameters<TxVerifier["verify"]>[0]): Promise<boolean> {
        if (holding) await new Promise<void>((r) => held.push(r));
        return super.verify(tx);
      }
    }
    const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: new HeldVerifier(CHAIN),
      account: () => ({ nonce: 0, balance: 10n ** 20n }),
      includedAt: async () => undefined,
    });
    const [admitted, ...txs] = signedTransfers(MIN_ADMISSION_QUEUE + 1);
    await mempool.add(admitted.bytes);
    holding = true;
    const waiting = txs.map((t) => mempool.add(t.bytes));
    expect(mempool.admissionQueueFull).toBe(true);
    // A wallet that did not hear the first answer sends the same tx again: it is told the tx is known, not
    // to come back later (it would resend a tx the pool holds for as long as the pool stays busy).
    await expect(mempool.add(admitted.bytes)).rejects.toMatchObject({ code: "ALREADY_KNOWN" });
    // A copy of a tx being checked waits for that check and gets its answer, as with room in the queue.
    // (Its expectation is attached now: the copy is refused while the test awaits the others.)
    const copyRefused = expect(mempool.add(txs[0].bytes)).rejects.toMatchObject({ code: "ALREADY_KNOWN" });
    // New bytes are refused on their hash alone: even bytes that would not decode are told MEMPOOL_FULL (the
    // refusal a client must back off on), without the decoding a full node has no time for.
    await expect(mempool.add(Uint8Array.of(0xff, 0xff, 0xff))).rejects.toMatchObject({ code: "MEMPOOL_FULL" });
    for (const release of held) release();
    await Promise.all(waiting);
    await copyRefused;
    expect(mempool.size).toBe(MIN_ADMISSION_QUEUE + 1);
  });

  it("a governance change of maxBlockWork resizes the work cap and keeps the pool consistent", async () => {
    const txs = signedTransfers(30);
    const each = txWork(decodeTx(txs[0].bytes));
    const mempool = mempoolFor(each * 2);
    expect(await admitUntilFull(mempool, txs.slice(0, 10))).toBe(2 * DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks);
    mempool.useParams({ ...DEFAULT_PARAMS, maxBlockWork: each * 4 }); // twice the room from now on
    expect(mempool.consistencyProblems()).toEqual([]);
    expect(await admitUntilFull(mempool, txs.slice(10))).toBe(2 * DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks);
    expect(mempool.size).toBe(4 * DEFAULT_MEMPOOL_LIMITS.maxWorkBlocks);
    expect(mempool.consistencyProblems()).toEqual([]);
  });
});
