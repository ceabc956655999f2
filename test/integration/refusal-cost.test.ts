import pino from "pino";
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { Dispatcher } from "../../rpc/dispatch.ts";
import { txMethods } from "../../rpc/methods/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { measureVerifyRate } from "../bench/verify-rate.ts";

/**
 * Under twice the load the network commits, a node refuses thousands of transactions a second (issue 12):
 * each refusal must cost it a small fraction of what an accepted tx costs (one verify and more), or refusing
 * eats the CPU that committing needs. This sends tx_submit batches of 250 to the node's JSON-RPC dispatcher
 * (parse, params, base64, decode, admission checks, the error answer) while the mempool is full, and holds
 * the time per refused tx under REFUSAL_VERIFIES_MAX verifies, each measured in this run.
 */
const CHAIN = "opl-refusal-cost";
const FEE = DEFAULT_PARAMS.minFee;
const BATCH = 250;
const BATCHES = 8;
const RUNS = 5;
/**
 * Measured with this test on this 2-core machine while other sessions' tests ran: 0.29-0.37 verifies per
 * refusal while refusals captured stack traces, 0.11-0.44 without (0.107 alone, as a script; the high end
 * with other test files running beside it). Timing is this noisy here, so the bound is what must hold
 * whatever the machine does: a refusal costs less than the signature check it spares (it would not, were
 * the check reached, or a state scan added); test/unit/refusal-errors.test.ts holds the last cut exactly.
 */
const REFUSAL_VERIFIES_MAX = 1;

describe("a tx_submit refused for back-pressure", () => {
  it(`costs the node less than ${REFUSAL_VERIFIES_MAX} of one signature verify`, async () => {
    const rich = new TestAccount();
    const mempool = new Mempool(
      {
        maxTxs: 1,
        maxBytes: 1 << 20,
        maxPerSender: 1000,
        ttlBlocks: 100,
        ttlMs: 60_000,
        maxGappedPerSender: 0,
        maxGappedTotal: 0,
      },
      {
        chainId: CHAIN,
        params: DEFAULT_PARAMS,
        verifier: new TxVerifier(CHAIN),
        account: (a) => ({ nonce: 0, balance: keyId(a) === keyId(rich.address) ? 0n : 1_000_000n * FEE }),
        includedAt: async () => undefined,
      },
    );
    const dispatcher = new Dispatcher({
      methods: txMethods,
      context: { mempool } as never,
      maxBatch: 1000,
      maxResponseBytes: 1 << 24,
      maxResponseBytesInFlight: 1 << 26,
      maxRequestWork: 1000,
      maxConcurrentScans: 2,
      logger: pino({ level: "silent" }),
    });
    const to = new TestAccount().address;
    const filler = new TestAccount();
    await mempool.add(filler.transfer(CHAIN, to, 1n, FEE).bytes);
    expect(mempool.size).toBe(1);

    // Each batch from its own sender, nonces 0..249: the pool is full, so each one is refused.
    const bodies = Array.from({ length: BATCHES }, (_, b) => {
      const sender = new TestAccount();
      return JSON.stringify(
        Array.from({ length: BATCH }, (_, i) => ({
          jsonrpc: "2.0",
          id: b * BATCH + i,
          method: "tx_submit",
          params: { tx: toBase64(sender.transfer(CHAIN, to, 1n, FEE).bytes) },
        })),
      );
    });
    const refuseAll = async () => {
      const reasons = new Map<string, number>();
      const start = performance.now();
      for (const body of bodies) {
        const reply = await dispatcher.handle(body);
        const answers = JSON.parse(reply?.body.toString() ?? "[]") as { error?: { data?: { reason?: string } } }[];
        reply?.release();
        for (const a of answers) reasons.set(a.error?.data?.reason ?? "ok", (reasons.get(a.error?.data?.reason ?? "ok") ?? 0) + 1);
      }
      return { us: ((performance.now() - start) * 1000) / (BATCH * BATCHES), reasons };
    };
    await refuseAll(); // warm-up: the code optimised, as in a node under load

    // Verifies and refusals timed in turn, the least of each kept: a busy spell of the machine slows one run,
    // not the ratio.
    let verifyUs = Number.POSITIVE_INFINITY;
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < RUNS; run++) {
      verifyUs = Math.min(verifyUs, measureVerifyRate(CHAIN, 100).verifyUs);
      const { us, reasons } = await refuseAll();
      // Nonce 0 is refused MEMPOOL_FULL, the later ones NONCE_TOO_HIGH (behind it; the gap cap is 0).
      expect(Object.fromEntries(reasons)).toEqual({ MEMPOOL_FULL: BATCHES, NONCE_TOO_HIGH: (BATCH - 1) * BATCHES });
      best = Math.min(best, us);
    }
    const ratio = best / verifyUs;
    const figures = { refusalUs: Number(best.toFixed(2)), verifyUs, refusalVerifies: Number(ratio.toFixed(3)) };
    console.log(JSON.stringify(figures));
    expect(ratio).toBeLessThan(REFUSAL_VERIFIES_MAX);
    expect(mempool.size).toBe(1);
  });
});
