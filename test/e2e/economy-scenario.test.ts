import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { homePaths } from "../../node/config.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { RpcError } from "../../rpc/errors.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { TestNetwork } from "../helpers/network.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * The reason the chain exists, end to end on a real 3-validator devnet (real processes, real libp2p and
 * HTTP): a datanet gets contributions, one is rejected and two accepted, a version is published, a model is
 * trained on it and an adapter on the model, an inference is paid and recorded with attribution weights, and
 * every balance and reward is checked to the base unit, before and after the claims, with supply unchanged.
 */
const OPEN = 10n ** 18n;
// Ten times the minimum: a record pays at least feePerCredit per reward credit it makes (2 here).
const FEE = DEFAULT_PARAMS.minFee * 10n;
let net: TestNetwork | undefined;
afterAll(async () => {
  await net?.stop();
});

interface Included {
  hash: string;
  height: number;
  result: { code: number; log: string; events: { type: string; attributes: Record<string, string> }[] };
}

const hashOf = (text: string) => sha256(new TextEncoder().encode(text));

describe("the AI economy on a multi-validator devnet", () => {
  it("datanet → contributions → version → model + adapter → paid inference → attribution → claims", async () => {
    net = await TestNetwork.start({ validators: 3, blockIntervalMs: 200, chainId: "opl-economy-1", accounts: 8 });
    const n = net;
    n.startWatchdog({ stallMs: 20_000 });
    const rpc = (i: number) => n.nodes[i % n.nodes.length].rpc;
    const names = ["owner", "c1", "c2", "c3", "modelOwner", "adapterOwner", "payer", "stranger"];
    const acct = Object.fromEntries(names.map((name, i) => [name, n.account(`account${i}`)])) as Record<
      string,
      TestAccount
    >;
    const fees = new Map<string, bigint>(names.map((name) => [name, 0n]));
    let submitted = 0;

    /** Signs, submits (to the nodes in turn), waits for inclusion; the fee is paid whatever the outcome. */
    async function send(name: string, msg: TxMsg, fee = FEE): Promise<Included> {
      const a = acct[name];
      const built = signTx({ chainId: n.chainId, senderPubkey: a.publicKey, nonce: a.nonce, fee, msg }, (m) =>
        a.sign(m),
      );
      await rpc(submitted++).call("tx_submit", { tx: toBase64(built.bytes) });
      a.nonce++;
      fees.set(name, (fees.get(name) as bigint) + fee);
      const hash = toHex(built.hash);
      return waitFor(`tx ${msg.type}`, async () => {
        try {
          return await rpc(0).call<Included>("tx_get", { hash });
        } catch (err) {
          if (err instanceof RpcError) return undefined;
          throw err;
        }
      }, 30_000);
    }
    async function ok(name: string, msg: TxMsg): Promise<number> {
      const r = await send(name, msg);
      expect(r.result.code, `${msg.type}: ${r.result.log}`).toBe(0);
      const id = r.result.events.find((e) => e.attributes.id !== undefined)?.attributes.id;
      return Number(id);
    }
    async function refused(name: string, msg: TxMsg, reason: RegExp, fee = FEE): Promise<void> {
      const r = await send(name, msg, fee);
      expect(r.result.code, msg.type).not.toBe(0);
      expect(r.result.log).toMatch(reason);
    }
    const balance = async (name: string) =>
      BigInt((await rpc(1).call<{ balance: string }>("account_get", { address: acct[name].bech32 })).balance);
    const start = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await balance(name)])));
    const supplyBefore = await rpc(2).call<{ total: string }>("bank_getSupply");

    // A datanet: 10 OPEN locked per contribution, 1 OPEN kept from a rejected one for its reviewer.
    const datanet = await ok("owner", {
      type: "create_datanet",
      name: "medical-notes",
      description: "de-identified clinical notes",
      license: "CC-BY-4.0",
      curators: [],
      contributionStake: 10n * OPEN,
      reviewFee: 1n * OPEN,
      allowListed: false,
      contributors: [],
    });
    const contribute = (name: string) =>
      ok(name, {
        type: "contribute",
        datanetId: datanet,
        contentHash: hashOf(`${name}'s data`),
        uri: `ipfs://${name}`,
        sizeBytes: 1000,
        metadata: JSON.stringify({ rows: 10 }),
      });
    const [x1, x2, x3] = [await contribute("c1"), await contribute("c2"), await contribute("c3")];
    await refused("stranger", { type: "review_contribution", contributionId: x1, accept: true }, /not a curator/);
    await ok("owner", { type: "review_contribution", contributionId: x3, accept: false });
    await ok("owner", { type: "review_contribution", contributionId: x1, accept: true });
    await ok("owner", { type: "review_contribution", contributionId: x2, accept: true });
    await ok("owner", { type: "publish_version", datanetId: datanet });

    const price = 100n * OPEN;
    const model = await ok("modelOwner", {
      type: "register_model",
      name: "clinical-llm",
      kind: "model",
      parentId: 0,
      baseModel: "llama-3-8b",
      weightsHash: hashOf("weights v1"),
      uri: "ipfs://weights",
      trainedOn: [{ datanetId: datanet, version: 1 }],
      price,
    });
    const adapter = await ok("adapterOwner", {
      type: "register_model",
      name: "clinical-llm-cardiology",
      kind: "adapter",
      parentId: model,
      baseModel: "",
      weightsHash: hashOf("lora v1"),
      uri: "ipfs://lora",
      trainedOn: [],
      price: 50n * OPEN,
    });
    const inference = await ok("payer", {
      type: "pay_inference",
      modelId: model,
      requestHash: hashOf("prompt"),
      maxPrice: price,
    });

    // Refusals, each with a clear error; a refused message moves nothing but its fee.
    const record = (weights: { contributionId: number; ppm: number }[]) => ({
      type: "record_inference" as const,
      inferenceId: inference,
      outputHash: hashOf("answer"),
      weights: weights.map((w) => ({ ...w, datanetId: 0, version: 0 })),
    });
    await refused("stranger", record([{ contributionId: x1, ppm: 600_000 }]), /not an operator/);
    await refused("modelOwner", record([{ contributionId: x3, ppm: 100_000 }]), /not in any datanet version/);
    await expect(
      rpc(0).call("tx_submit", {
        tx: toBase64(
          signTx(
            {
              chainId: n.chainId,
              senderPubkey: acct.modelOwner.publicKey,
              nonce: acct.modelOwner.nonce,
              fee: FEE,
              msg: record([
                { contributionId: x1, ppm: 700_000 },
                { contributionId: x2, ppm: 400_000 },
              ]),
            },
            (m) => acct.modelOwner.sign(m),
          ).bytes,
        ),
      }),
    ).rejects.toThrow(/1100000/); // weights over 1,000,000 never reach a block

    const goodRecord = record([
      { contributionId: x1, ppm: 600_000 },
      { contributionId: x2, ppm: 300_000 },
    ]);
    // Two reward credits need twice feePerCredit: the minimum fee alone does not pay for them.
    await refused("modelOwner", goodRecord, /makes 2 reward credits, which need a fee of at least/, DEFAULT_PARAMS.minFee);
    await ok("modelOwner", goodRecord);
    await refused("modelOwner", record([{ contributionId: x1, ppm: 1 }]), /already recorded/);

    // The split of 100 OPEN: 10% protocol and 30% owner; the data share (60) goes 60% / 30% to the two
    // contributions, and its unattributed 10% joins the protocol share in the treasury.
    const reward = async (name: string) =>
      rpc(2).call<{ accrued: string; claimed: string; breakdown: { source: string; id: number; amount: string }[] }>(
        "attribution_getRewards",
        { address: acct[name].bech32 },
      );
    expect((await reward("modelOwner")).accrued).toBe(String(30n * OPEN));
    expect((await reward("c1")).accrued).toBe(String(36n * OPEN));
    expect((await reward("c2")).accrued).toBe(String(18n * OPEN));
    expect((await reward("c3")).accrued).toBe("0");
    expect((await reward("c1")).breakdown).toEqual([{ source: "contribution", id: x1, amount: String(36n * OPEN) }]);
    const supplyMid = await rpc(0).call<{ treasury: string; rewardsAccrued: string; inferenceEscrow: string }>(
      "bank_getSupply",
    );
    expect(supplyMid).toMatchObject({
      treasury: String(16n * OPEN),
      rewardsAccrued: String(84n * OPEN),
      inferenceEscrow: "0",
    });
    const earnings = await rpc(1).call<{ total: string }>("attribution_getEarnings", { datanetId: datanet });
    expect(earnings.total).toBe(String(54n * OPEN));
    // The adapter inherits its parent's lineage.
    const adapterView = await rpc(1).call<{ lineage: { datanetId: number; version: number }[] }>("model_get", {
      id: adapter,
    });
    expect(adapterView.lineage).toEqual([{ datanetId: datanet, version: 1 }]);

    for (const name of ["c1", "c2", "modelOwner"]) await ok(name, { type: "claim_rewards" });
    await refused("c3", { type: "claim_rewards" }, /no rewards to claim/);

    // Every balance to the base unit: start - fees - stakes locked + stakes back (c3: minus the 1 OPEN review
    // fee, paid to the owner) - the price + claimed rewards.
    const expected: Record<string, bigint> = {
      owner: start.owner + 1n * OPEN,
      c1: start.c1 + 36n * OPEN,
      c2: start.c2 + 18n * OPEN,
      c3: start.c3 - 1n * OPEN,
      modelOwner: start.modelOwner + 30n * OPEN,
      adapterOwner: start.adapterOwner,
      payer: start.payer - price,
      stranger: start.stranger,
    };
    for (const name of names) {
      expect(await balance(name), name).toBe(expected[name] - (fees.get(name) as bigint));
    }
    for (const name of ["c1", "c2", "modelOwner"]) expect((await reward(name)).accrued).toBe("0");
    expect((await reward("c1")).claimed).toBe(String(36n * OPEN));

    // Supply unchanged, and all of it accounted for: the sum of every balance (genesis accounts, validator
    // operators, and the proposers' fee accounts) is what the modules do not hold.
    const supply = await rpc(1).call<{ total: string; balances: string; height: number }>("bank_getSupply");
    expect(supply.total).toBe(supplyBefore.total);
    const genesis = readGenesisFile(homePaths(n.nodes[0].home).genesis);
    const addresses = new Set([
      ...genesis.accounts.map((a) => encodeAddress(a.address)),
      ...genesis.validators.map((v) => encodeAddress(v.address)),
    ]);
    let sum = 0n;
    for (const address of addresses) {
      sum += BigInt(
        (await rpc(1).call<{ balance: string }>("account_get", { address, height: supply.height })).balance,
      );
    }
    expect(sum).toBe(BigInt(supply.balances));

    n.assertHealthy();
    expect(await n.checkIdenticalHeaders()).toBeGreaterThan(10);
  }, 300_000);
});
