import { describe, expect, it } from "vitest";
import { decodeTx, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { MSG_WORK, TRAINED_ON_REF_WORK, txWork } from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * A model (or model version) pays for each datanet version it names as trained on: each is read, and each
 * datanet gets a new leaf of the by-datanet index. Charged flat, a register naming 32 did 10-14 times the
 * work charged, and a block of them took 3-5 s to check.
 */
const owner = new TestAccount();

function work(msg: TxMsg): number {
  const body = { chainId: "opl-test-1", senderPubkey: owner.publicKey, nonce: 0, fee: DEFAULT_PARAMS.minFee, msg };
  return txWork(decodeTx(signTx(body, (m) => owner.sign(m)).bytes));
}

const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ datanetId: i + 1, version: 1 }));

describe("model work", () => {
  it("register_model and publish_model_version pay per trained-on ref at least what a new leaf costs", () => {
    const register = (n: number): TxMsg => ({
      type: "register_model",
      name: "m",
      kind: "model",
      parentId: 0,
      baseModel: "llama",
      weightsHash: new Uint8Array(32),
      uri: "ipfs://weights",
      trainedOn: refs(n),
      price: 1n,
    });
    const publish = (n: number): TxMsg =>
      ({ type: "publish_model_version", modelId: 1, weightsHash: new Uint8Array(32), uri: "ipfs://w", trainedOn: refs(n) });
    for (const msg of [register, publish]) {
      const extra = work(msg(32)) - work(msg(0));
      // A new leaf, as a transfer to a new account is charged for its one (the code before: bytes alone, ~20).
      expect(extra).toBeGreaterThanOrEqual(32 * MSG_WORK.transfer);
      expect(extra).toBeGreaterThanOrEqual(32 * TRAINED_ON_REF_WORK);
    }
  });
});
