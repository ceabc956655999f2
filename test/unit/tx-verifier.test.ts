import { expect, it } from "vitest";
import { VerifyPool } from "../../crypto/verify-pool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;

it("remembers at most its limit of verified txs, the oldest forgotten first", async () => {
  const account = new TestAccount();
  const txs = Array.from({ length: 4 }, (_, nonce) =>
    decodeTx(account.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce }).bytes));
  const verifier = new TxVerifier(CHAIN, { limit: 3 });
  for (const tx of txs) expect(await verifier.verify(tx)).toBe(true);
  expect(txs.map((tx) => verifier.isVerified(tx))).toEqual([false, true, true, true]);
});

it("with a verify pool: verifies once, remembers only good signatures, and refuses while the pool is closed", async () => {
  const account = new TestAccount();
  const good = decodeTx(account.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce: 0 }).bytes);
  const forgedBytes = Uint8Array.from(account.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce: 1 }).bytes);
  forgedBytes[forgedBytes.length - 1] ^= 1; // the signature's last byte
  const forged = decodeTx(forgedBytes);
  const pool = new VerifyPool(1);
  const verifier = new TxVerifier(CHAIN, { pool });
  try {
    expect(await Promise.all([verifier.verify(good), verifier.verify(forged), verifier.verify(good)])).toEqual([
      true,
      false,
      true,
    ]);
    expect([verifier.isVerified(good), verifier.isVerified(forged)]).toEqual([true, false]);
  } finally {
    await pool.close();
  }
  await expect(verifier.verify(forged)).rejects.toThrow("closed");
  await expect(verifier.verify(forged)).rejects.toThrow("closed"); // nothing stale was left in flight
  expect(await verifier.verify(good)).toBe(true); // remembered
});

it("a simulation's check is not remembered, unless a caller that remembers asks for the same tx meanwhile", async () => {
  const account = new TestAccount();
  const [simulated, admitted, alone] = [0, 1, 2].map((nonce) =>
    decodeTx(account.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce }).bytes));
  for (const pool of [new VerifyPool(1), undefined]) {
    const verifier = new TxVerifier(CHAIN, { pool });
    try {
      const [a, b, c] = [simulated, admitted, alone].map((tx) => verifier.verify(tx, false));
      const again = verifier.verify(admitted); // under way: the same check, which now remembers
      expect(again).toBe(b);
      expect(await Promise.all([a, b, c, again])).toEqual([true, true, true, true]);
      expect([simulated, admitted, alone].map((tx) => verifier.isVerified(tx))).toEqual([false, true, false]);
    } finally {
      await pool?.close();
    }
  }
});
