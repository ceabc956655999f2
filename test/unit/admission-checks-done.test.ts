import { afterEach, describe, expect, it } from "vitest";
import { VerifyPool } from "../../crypto/verify-pool.ts";
import { ADMISSIONS_HELD_FACTOR, SIMULATIONS_PART_OF_QUEUE } from "../../node/admission-queue.ts";
import { DEFAULT_MEMPOOL_LIMITS, Mempool, MIN_ADMISSION_QUEUE } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { holdThreadUntil } from "../helpers/held-thread.ts";

/**
 * Issue 12: a client is refused MEMPOOL_FULL when the node's signature checks are ADMISSION_QUEUE_MS behind,
 * not when its main thread was busy for a moment. After a block's commit or a garbage collection held that
 * thread, the workers have done the queue's checks and their answers wait for the thread's next turns; the
 * queue counted them still, and refused the clients whose batches that thread read first (in the 4-validator
 * bench at 2,000 tx/s, the median refusal on one node had ~250 such checks done).
 */

const CHAIN = "opl-test-1";

function signedTransfers(n: number) {
  return Array.from({ length: n }, () => new TestAccount()).map((a) =>
    a.transfer(CHAIN, new TestAccount().address, 1n, DEFAULT_PARAMS.minFee));
}

function mempoolWith(verifier: TxVerifier): Mempool {
  return new Mempool(DEFAULT_MEMPOOL_LIMITS, {
    chainId: CHAIN,
    params: DEFAULT_PARAMS,
    verifier,
    account: () => ({ nonce: 0, balance: 10n ** 20n }),
    includedAt: async () => undefined,
  });
}

describe("the admission queue counts checks not yet done", () => {
  let pool: VerifyPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it("admits a client's tx when the workers finished the queue's checks while the main thread was held", async () => {
    pool = new VerifyPool(1);
    const p = pool;
    const mempool = mempoolWith(new TxVerifier(CHAIN, { pool: p }));
    const txs = signedTransfers(MIN_ADMISSION_QUEUE + 1);
    const waiting = txs.slice(0, MIN_ADMISSION_QUEUE).map((t) => mempool.add(t.bytes));
    expect(mempool.admissionQueueFull).toBe(true); // none checked yet: a client is refused now, rightly
    await new Promise((resolve) => setImmediate(resolve)); // the checks go to the worker
    holdThreadUntil(() => p.checkedUnheard === MIN_ADMISSION_QUEUE, "the worker's checks");
    expect(mempool.inFlight).toBe(MIN_ADMISSION_QUEUE); // their answers not heard yet
    expect(mempool.waitingForCheck).toBe(0);
    // A client's batch read in this turn, before the answers: admitted, not told to back off.
    const late = mempool.add(txs[MIN_ADMISSION_QUEUE].bytes);
    await Promise.all(waiting);
    expect((await late).id).toBe(Buffer.from(txs[MIN_ADMISSION_QUEUE].hash).toString("hex"));
    expect(mempool.size).toBe(MIN_ADMISSION_QUEUE + 1);
  });

  it("still holds at most ADMISSIONS_HELD_FACTOR times the queue's limit, whatever the checks done say", async () => {
    const held: (() => void)[] = [];
    class DoneButHeld extends TxVerifier {
      // Says every check is done (a proposal's checks may be among those counted) while holding the answers.
      override get checkedUnheard(): number {
        return 1_000_000;
      }

      override async verify(tx: Parameters<TxVerifier["verify"]>[0]): Promise<boolean> {
        await new Promise<void>((r) => held.push(r));
        return super.verify(tx);
      }
    }
    const mempool = mempoolWith(new DoneButHeld(CHAIN));
    const most = ADMISSIONS_HELD_FACTOR * MIN_ADMISSION_QUEUE;
    const txs = signedTransfers(most + 1);
    const waiting = txs.slice(0, most).map((t) => mempool.add(t.bytes));
    expect(mempool.waitingForCheck).toBe(0);
    await expect(mempool.add(txs[most].bytes)).rejects.toMatchObject({ code: "MEMPOOL_FULL" });
    for (const release of held) release();
    await Promise.all(waiting);
    expect(mempool.size).toBe(most);
  });

  it("counts tx_simulate's checks in the queue, at most SIMULATIONS_PART_OF_QUEUE of it; a tx checked before is not checked again", async () => {
    const held: (() => void)[] = [];
    let checks = 0;
    class Held extends TxVerifier {
      override async verify(tx: Parameters<TxVerifier["verify"]>[0], remember = true): Promise<boolean> {
        checks++;
        await new Promise<void>((r) => held.push(r));
        return super.verify(tx, remember);
      }
    }
    const verifier = new Held(CHAIN);
    const mempool = mempoolWith(verifier);
    const part = SIMULATIONS_PART_OF_QUEUE * MIN_ADMISSION_QUEUE;
    const txs = signedTransfers(part + 2).map((t) => decodeTx(t.bytes));
    const simulations = txs.slice(0, part).map((tx) => mempool.checkSignatureToSimulate(tx));
    expect(mempool.waitingForCheck).toBe(part);
    // Simulations hold their part: one more is refused, while a client's submission still gets in line.
    await expect(mempool.checkSignatureToSimulate(txs[part])).rejects.toMatchObject({ code: "MEMPOOL_FULL" });
    const submitted = mempool.add(txs[part + 1].bytes);
    expect(mempool.waitingForCheck).toBe(part + 1);
    for (const release of held) release();
    expect(await Promise.all(simulations)).toEqual(simulations.map(() => true));
    await submitted;
    expect(mempool.waitingForCheck).toBe(0);
    expect(mempool.size).toBe(1); // a simulation admits nothing
    // Valid simulations are remembered apart: the verifier's set is for txs bound for blocks.
    expect(verifier.isVerified(txs[0])).toBe(false);
    expect(verifier.isVerified(txs[part + 1])).toBe(true);
    // Simulated again (a wallet retrying), or a tx already verified: answered at once, no check.
    const before = checks;
    expect(await mempool.checkSignatureToSimulate(txs[0])).toBe(true);
    expect(await mempool.checkSignatureToSimulate(txs[part + 1])).toBe(true);
    expect(checks).toBe(before);
  });
});
