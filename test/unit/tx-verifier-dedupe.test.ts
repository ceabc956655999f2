import { describe, expect, it } from "vitest";
import { verifyAsync } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { VerifyPool } from "../../crypto/verify-pool.ts";
import { Mempool, DEFAULT_MEMPOOL_LIMITS } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-dedupe-1";
const FEE = DEFAULT_PARAMS.minFee;

/** A verify pool that counts the signatures it is asked to check (and checks them for real). */
function countingPool(): { pool: VerifyPool; calls: () => number } {
  let calls = 0;
  const pool = {
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
      calls++;
      return verifyAsync(message, signature, publicKey);
    },
    verifyDigestOfInto(
      prefix: Uint8Array,
      body: Uint8Array,
      signature: Uint8Array,
      publicKey: Uint8Array,
      answer: (ok: boolean) => void,
    ): void {
      calls++;
      void verifyAsync(sha256(prefix, body), signature, publicKey).then(answer);
    },
  } as unknown as VerifyPool;
  return { pool, calls: () => calls };
}

describe("in-flight signature checks are shared", () => {
  it("a tx admitted from a client while a proposal holding it is checked costs one verify", async () => {
    const { pool, calls } = countingPool();
    const verifier = new TxVerifier(CHAIN, { pool });
    const alice = new TestAccount();
    const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier,
      account: () => ({ nonce: 0, balance: 10n ** 20n }),
      includedAt: async () => undefined,
    });
    const bytes = alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes;
    // The same tx at once from a client (mempool admission) and in a block being checked (its own decoding).
    const [admitted, badIndex] = await Promise.all([mempool.add(bytes), verifier.verifyAll([decodeTx(bytes)])]);
    expect(admitted.id).toBe(decodeTx(bytes).id);
    expect(badIndex).toBe(-1);
    expect(calls()).toBe(1);
    expect(mempool.size).toBe(1);
  });

  it("copies of a forgery checked at once share one verify and are all refused", async () => {
    const { pool, calls } = countingPool();
    const verifier = new TxVerifier(CHAIN, { pool });
    const bytes = Uint8Array.from(new TestAccount().transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes);
    bytes[bytes.length - 1] ^= 1; // the signature's last byte
    const answers = await Promise.all([1, 2, 3].map(() => verifier.verify(decodeTx(bytes))));
    expect(answers).toEqual([false, false, false]);
    expect(calls()).toBe(1);
    // Not remembered as bad: asked again later, it is checked again (and refused again).
    expect(await verifier.verify(decodeTx(bytes))).toBe(false);
    expect(calls()).toBe(2);
  });
});
