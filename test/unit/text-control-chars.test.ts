import { describe, expect, it } from "vitest";
import { Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { ModuleMsg } from "../../proto/module-msgs.ts";
import { TxError } from "../../state/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const sender = new TestAccount();

// Refused at admission: a node never takes (or charges a fee for) a tx whose text could drive a terminal.
const mempool = new Mempool(
  { maxTxs: 100, maxBytes: 1 << 20, maxPerSender: 100, ttlBlocks: 10, ttlMs: 60_000, maxGappedPerSender: 100,
    maxGappedTotal: 100 },
  {
    chainId: CHAIN,
    params: DEFAULT_PARAMS,
    verifier: new TxVerifier(CHAIN),
    account: () => ({ nonce: 0, balance: 10n ** 30n }),
    includedAt: async () => undefined,
  },
);

const datanet = (name: string, description = "questions and answers"): ModuleMsg => ({
  type: "create_datanet",
  name,
  description,
  license: "CC-BY-4.0",
  curators: [],
  contributionStake: 1000n,
  reviewFee: 10n,
  allowListed: false,
  contributors: [],
});
const model = (name: string): ModuleMsg => ({
  type: "register_model",
  name,
  kind: "model",
  parentId: 0,
  baseModel: "llama",
  weightsHash: new Uint8Array(32).fill(1),
  uri: "ipfs://weights",
  trainedOn: [],
  price: 10n,
});
const validator = (moniker: string): ModuleMsg => ({
  type: "create_validator",
  consensusPubkey: new Uint8Array(32).fill(2),
  moniker,
  selfStake: DEFAULT_PARAMS.staking.minSelfStake,
  consensusSignature: new Uint8Array(64),
});

let nonce = 0;
async function admit(msg: ModuleMsg): Promise<TxError | undefined> {
  const tx = sender.transfer(CHAIN, new Uint8Array(20), 0n, FEE, { msg, nonce: nonce++ });
  try {
    await mempool.add(tx.bytes);
    return undefined;
  } catch (err) {
    if (err instanceof TxError) return err;
    throw err;
  }
}

describe("names and descriptions refuse control characters", () => {
  const hostile: [string, ModuleMsg, RegExp][] = [
    ["NUL in a datanet name", datanet("medical\u0000qa"), /datanet name contains a control character \(U\+0000\)/],
    ["ANSI clear-screen in a datanet description", datanet("d", "\u001b[2J\u001b[Hall good"), /U\+001B/],
    ["ANSI colour in a model name", model("\u001b[31mofficial\u001b[0m"), /model name .*U\+001B/],
    ["NUL in a validator moniker", validator("val\u0000"), /moniker .*U\+0000/],
    ["a C1 CSI (U+009B) in a moniker", validator("v\u009b2J"), /moniker .*U\+009B/],
    ["DEL in a model name", model("m\u007f"), /U\+007F/],
    ["a newline in a datanet name (fakes a second line)", datanet("a\nb"), /U\+000A/],
    ["a bidi override in a model name (reorders what is shown)", model("gpt\u202Eevil"), /U\+202E/],
    ["a bidi isolate in a datanet description", datanet("d", "ok \u2066x\u2069"), /U\+2066/],
    ["a line separator in a moniker", validator("a\u2028b"), /U\+2028/],
  ];
  for (const [what, msg, message] of hostile) {
    it(`refuses ${what} at admission`, async () => {
      const err = await admit(msg);
      expect(err?.code).toBe("INVALID_MSG");
      expect(err?.message).toMatch(message);
    });
  }

  it("admits ordinary text, Unicode included", async () => {
    expect(await admit(datanet("médical-qa ✓", "Fragen & Antworten — 問答 👩\u200D💻"))).toBeUndefined();
    expect(mempool.size).toBe(1);
  });
});
