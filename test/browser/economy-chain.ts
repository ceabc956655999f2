import { sha256 } from "../../crypto/hash.ts";
import type { ModuleMsg } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { DATANET_SETTINGS, idOf, sendAll } from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * A real node (in this process: real LevelDB, real HTTP and WebSocket) that ran the AI economy for the
 * explorer's browser test: a stake, a datanet with three contributions (two accepted, one rejected) and a
 * published version, a model trained on it and an adapter on the model, an inference paid and recorded with
 * weights on a contribution and on the whole version, so every page of the explorer has something to show.
 */
export interface EconomyChain {
  chain: TestChain;
  alice: TestAccount;
  bob: TestAccount;
  ids: { datanet: number; contributions: number[]; model: number; adapter: number; inference: number };
  /** Hashes of txs the scenario sent: a transfer, the inference's payment and its record. */
  txs: { transfer: string; pay: string; record: string };
}

const hash = (text: string) => sha256(new TextEncoder().encode(text));

export async function startEconomyChain(): Promise<EconomyChain> {
  const chain = await startTestChain({ blockIntervalMs: 200 });
  const alice = new TestAccount();
  const bob = new TestAccount();
  const faucet = chain.faucet;
  const send = (...txs: [TestAccount, TxMsg][]) => sendAll(chain, txs);
  const [transfer] = await send(
    [faucet, { type: "transfer", to: alice.address, amount: 1000n * ONE_OPEN }],
    [faucet, { type: "transfer", to: bob.address, amount: 1000n * ONE_OPEN }],
  );
  await send([alice, { type: "stake", validator: faucet.address, amount: 10n * ONE_OPEN }]);
  const [created] = await send([alice, { type: "create_datanet", name: "corpus", ...DATANET_SETTINGS }]);
  const datanet = idOf(created);
  const contributed = await send(
    ...[1, 2, 3].map((i): [TestAccount, ModuleMsg] => [
      bob,
      { type: "contribute", datanetId: datanet, contentHash: hash(`item ${i}`), uri: `ipfs://item${i}`, sizeBytes: i, metadata: "" },
    ]),
  );
  const contributions = contributed.map(idOf);
  await send(
    [alice, { type: "review_contribution", contributionId: contributions[0], accept: true }],
    [alice, { type: "review_contribution", contributionId: contributions[1], accept: false }],
    [alice, { type: "review_contribution", contributionId: contributions[2], accept: true }],
  );
  await send([alice, { type: "publish_version", datanetId: datanet }]);
  const trainedOn = [{ datanetId: datanet, version: 1 }];
  const [model] = await send([
    alice,
    { type: "register_model", name: "corpus-llm", kind: "model", parentId: 0, baseModel: "llama", weightsHash: hash("w"), uri: "ipfs://w", trainedOn, price: 100n * ONE_OPEN },
  ]);
  const [adapter] = await send([
    bob,
    { type: "register_model", name: "corpus-llm-lora", kind: "adapter", parentId: idOf(model), baseModel: "", weightsHash: hash("a"), uri: "ipfs://a", trainedOn: [], price: 0n },
  ]);
  const [paid] = await send([
    faucet,
    { type: "pay_inference", modelId: idOf(model), requestHash: hash("q"), maxPrice: 100n * ONE_OPEN },
  ]);
  const inference = idOf(paid);
  const [recorded] = await send([
    alice,
    {
      type: "record_inference",
      inferenceId: inference,
      outputHash: hash("out"),
      weights: [
        { contributionId: contributions[0], datanetId: 0, version: 0, ppm: 500_000 },
        { contributionId: 0, datanetId: datanet, version: 1, ppm: 500_000 },
      ],
    },
  ]);
  return {
    chain,
    alice,
    bob,
    ids: { datanet, contributions, model: idOf(model), adapter: idOf(adapter), inference },
    txs: { transfer: hashOf(transfer), pay: hashOf(paid), record: hashOf(recorded) },
  };
}

function hashOf(t: object): string {
  const hash = (t as { hash?: unknown }).hash; // tx_get's answer names its hash (economy.ts's type omits it)
  if (typeof hash !== "string") throw new Error("tx_get answered without a hash");
  return hash;
}
