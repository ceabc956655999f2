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
