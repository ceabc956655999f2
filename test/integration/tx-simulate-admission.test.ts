import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import type { SimulationResult } from "../../rpc/tx-simulation.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.ts";
import { waitFor } from "../helpers/tmp.ts";

const OPEN = 10n ** 18n;
const FEE = DEFAULT_PARAMS.minFee;

/**
 * tx_simulate makes tx_submit's admission checks (the mempool's, not a copy): the balance must cover the
 * amount and fee plus what the sender's pending txs spend, and the nonce is judged against the pending run.
 */
let chain: TestChain;
let alice: TestAccount;
const bob = new TestAccount();

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 200 });
  alice = new TestAccount();
  const funded = chain.faucet.transfer(chain.chainId, alice.address, 10n * OPEN, FEE);
  await chain.rpc.call("tx_submit", { tx: toBase64(funded.bytes) });
  await waitFor("alice funded", async () => {
    const a = await chain.rpc.call<{ balance: string }>("account_get", { address: alice.bech32 });
    return a.balance === String(10n * OPEN) ? true : undefined;
  });
});
afterAll(async () => {
  await chain?.stop();
});

const simulate = (bytes: Uint8Array) => chain.rpc.call<SimulationResult>("tx_simulate", { tx: toBase64(bytes) });
async function submitRefusal(bytes: Uint8Array): Promise<string | undefined> {
  try {
    await chain.rpc.call("tx_submit", { tx: toBase64(bytes) });
    return undefined;
  } catch (err) {
    return (err as { data?: { reason?: string } }).data?.reason;
  }
}

describe("tx_simulate applies tx_submit's admission checks", () => {
  it("a transfer of more than the balance: refused by both, not 'includable'", async () => {
    const tooMuch = alice.transfer(chain.chainId, bob.address, 20n * OPEN, FEE, { nonce: 0 }).bytes;
    const sim = await simulate(tooMuch);
    expect(sim).toMatchObject({ includable: false, reason: "INSUFFICIENT_FUNDS" });
    expect(sim.log).toMatch(/amount \+ fee/);
    expect(await submitRefusal(tooMuch)).toBe("INSUFFICIENT_FUNDS");
  });

  it("counts what the sender's pending txs spend, as tx_submit does", async () => {
    // Nonce 1 waits behind a gap (nonce 0 is missing), pending, spending 8 OPEN of alice's 10.
    const gapped = alice.transfer(chain.chainId, bob.address, 8n * OPEN, FEE, { nonce: 1 }).bytes;
    expect(await submitRefusal(gapped)).toBeUndefined();
    const five = alice.transfer(chain.chainId, bob.address, 5n * OPEN, FEE, { nonce: 0 }).bytes;
    const sim = await simulate(five);
    expect(sim).toMatchObject({ includable: false, reason: "INSUFFICIENT_FUNDS" });
    expect(sim.log).toContain(`pending transactions spend ${8n * OPEN + FEE}`);
    expect(await submitRefusal(five)).toBe("INSUFFICIENT_FUNDS");

    // One that fits beside the pending one: includable, and it runs (the pending tx follows it).
    const one = alice.transfer(chain.chainId, bob.address, OPEN, FEE, { nonce: 0 }).bytes;
    expect(await simulate(one)).toMatchObject({ includable: true, code: 0, reason: "OK" });
    // A tx already pending is refused as tx_submit refuses it.
    expect(await simulate(gapped)).toMatchObject({ includable: false, reason: "ALREADY_KNOWN" });

    // Nonce 0 fills the gap; nonce 2 follows the pending run 0, 1: it runs after them (before, it reported
    // NONCE_TOO_HIGH while they were pending; once they are included it runs on its own: OK either way).
    expect(await submitRefusal(one)).toBeUndefined();
    const next = alice.transfer(chain.chainId, bob.address, OPEN / 2n, FEE, { nonce: 2 }).bytes;
    expect(await simulate(next)).toMatchObject({ includable: true, code: 0, reason: "OK" });
  });
});

describe("tx_simulate when a pending predecessor would fail", () => {
  it("reports the tx as waiting behind that predecessor, naming its nonce, not as the tx's own error", async () => {
    const carol = new TestAccount();
    const funded = chain.faucet.transfer(chain.chainId, carol.address, 10n * OPEN, FEE);
    await chain.rpc.call("tx_submit", { tx: toBase64(funded.bytes) });
    await waitFor("carol funded", async () => {
      const a = await chain.rpc.call<{ balance: string }>("account_get", { address: carol.bech32 });
      return a.balance === String(10n * OPEN) ? true : undefined;
    });
    // Stands in for a tx admitted under params that changed since (governance raised minFee): pending, but
    // the next block's ante step refuses its fee.
    const stale = carol.transfer(chain.chainId, bob.address, 1n, FEE / 2n, { nonce: 0 });
    const mempool = chain.node.mempool;
    const original = mempool.pendingRunBefore.bind(mempool);
    const next = carol.transfer(chain.chainId, bob.address, OPEN, FEE, { nonce: 1 }).bytes;
    mempool.pendingRunBefore = () => [decodeTx(stale.bytes)];
    // Admission judges nonce 1 against the pending run: as if nonce 0 were pending.
    const refusalOf = mempool.refusalOf.bind(mempool);
    mempool.refusalOf = async () => undefined;
    try {
      const sim = await simulate(next);
      expect(sim).toMatchObject({ includable: false, reason: "NONCE_TOO_HIGH", events: [] });
      expect(sim.log).toMatch(/pending transaction of nonce 0 .*FEE_TOO_LOW/);
    } finally {
      mempool.pendingRunBefore = original;
      mempool.refusalOf = refusalOf;
    }
  });
});

describe("tx_simulate's signature check", () => {
  it("is not made for a sender who could not pay: refused by the state's checks first, as tx_submit refuses", async () => {
    const broke = new TestAccount(); // no balance, never funded
    const bad = broke.transfer(chain.chainId, bob.address, 1n, FEE);
    const signature = bad.bytes.slice();
    signature[signature.length - 1] ^= 1; // and a bad signature: the balance is what it hears about
    const sim = await simulate(signature);
    expect(sim).toMatchObject({ includable: false, reason: "INSUFFICIENT_FUNDS" });
    expect(await submitRefusal(signature)).toBe("INSUFFICIENT_FUNDS");
  });

  /** Signatures the node's verify workers were sent, from its /metrics. */
  async function poolSignatures(): Promise<number> {
    const res = await httpRequest(`${chain.node.rpc.url}/metrics`);
    return sampleValue(parsePrometheusText(res.body), "opl_verify_signatures_total");
  }

  it("is made once for a batch of simulations of one tx, by the node's verify workers, not on libuv's pool", async () => {
    const dave = new TestAccount();
    const funded = chain.faucet.transfer(chain.chainId, dave.address, OPEN, FEE);
    await chain.rpc.call("tx_submit", { tx: toBase64(funded.bytes) });
    await waitFor("dave funded", async () => {
      const a = await chain.rpc.call<{ balance: string }>("account_get", { address: dave.bech32 });
      return a.balance === String(OPEN) ? true : undefined;
    });
    const tx = dave.transfer(chain.chainId, bob.address, 1n, FEE).bytes; // includable; never submitted
    // Checks on this thread's libuv pool (node:crypto's verify with a callback, as tx_simulate made them).
    const real = crypto.verify;
    let onThisThread = 0;
    crypto.verify = ((...args: Parameters<typeof crypto.verify>) => {
      onThisThread++;
      return (real as (...a: unknown[]) => unknown)(...args);
    }) as typeof crypto.verify;
    syncBuiltinESMExports();
    const before = await poolSignatures();
    let replies;
    try {
      const call = { method: "tx_simulate", params: { tx: toBase64(tx) } };
      replies = await chain.rpc.batch(Array.from({ length: 200 }, () => call));
    } finally {
      crypto.verify = real;
      syncBuiltinESMExports();
    }
    for (const r of replies) expect(r.result).toMatchObject({ includable: true, reason: "OK" }); // checked, then run
    expect(onThisThread).toBe(0); // the code before made 200 checks there, beside LevelDB's reads and the WAL's fsync
    // /metrics renders at most once a second: its count moves once the next rendering is made.
    const inPool = await waitFor("the workers' count of signatures to move", async () => {
      const n = (await poolSignatures()) - before;
      return n > 0 ? n : undefined;
    });
    expect(inPool).toBe(1);
  });
});
