import { expect, it } from "vitest";
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
