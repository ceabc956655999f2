import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AttributionWeight, ModuleMsg, RegisterModelMsg } from "../../../proto/module-msgs.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError, type TxErrorCode } from "../../../state/errors.ts";
import type { BlockContext } from "../../../state/block-context.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../../state/keys.ts";
import * as attribution from "../../../state/modules/attribution/attribution.ts";
import { getInferencePayouts } from "../../../state/modules/attribution/payouts.ts";
import { getAccount, mint } from "../../../state/modules/bank/bank.ts";
import { readAmount } from "../../../state/modules/common.ts";
import * as datanets from "../../../state/modules/datanets/datanets.ts";
import * as models from "../../../state/modules/models/models.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../../state/params.ts";
import { Overlay } from "../../../state/view.ts";
import { MemoryState, testContext } from "../../helpers/memory-state.ts";

const addr = (n: number) => new Uint8Array(20).fill(n);
const hash = (n: number) => new Uint8Array(32).fill(n);

const CURATOR = addr(1);
const ALICE = addr(2);
const BOB = addr(3);
const CAROL = addr(4);
const OWNER = addr(5);
const OPERATOR = addr(6);
const PAYER = addr(7);
const STRANGER = addr(8);
const ADAPTER_OWNER = addr(9);
const EVERYONE = [CURATOR, ALICE, BOB, CAROL, OWNER, OPERATOR, PAYER, STRANGER, ADAPTER_OWNER];

/** Ids the fixture creates, in creation order. */
const C1 = 1; // ALICE, in version 1
const C2 = 2; // BOB, in version 1
const C3 = 3; // CAROL, accepted after version 1: only in version 2
const C4 = 4; // CAROL, in version 1, then slashed
const MODEL = 1; // trained on datanet 1 version 1, operated by OPERATOR
const ADAPTER = 2; // adapter of MODEL with no data of its own
const FREE_MODEL = 3; // price 0, trained on version 2

const PRICE = 1_000_007n;
const EXPIRY = 3;
const PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  attribution: { ...DEFAULT_PARAMS.attribution, inferenceExpiryBlocks: EXPIRY }, // 10% protocol, 30% owner
};
const ctxAt = (height: number): BlockContext => testContext(height, { params: PARAMS });

const MODEL_MSGS = new Set(["register_model", "publish_model_version", "set_model_price", "set_model_operators",
  "retire_model"]);
const ATTRIBUTION_MSGS = new Set(["pay_inference", "record_inference", "claim_rewards"]);

/** The module state/execute.ts would route the message to (only the three this test uses). */
function moduleFor(msg: ModuleMsg) {
  if (ATTRIBUTION_MSGS.has(msg.type)) return attribution;
  return MODEL_MSGS.has(msg.type) ? models : datanets;
}

/** Runs a message as the executor does: stateless check, then apply with its writes undone if it throws. */
function exec(view: Overlay, sender: Uint8Array, msg: ModuleMsg, ctx: BlockContext): TxEvent[] {
  const mod = moduleFor(msg);
  mod.check(msg, ctx.params);
  view.begin();
  try {
    const events = mod.apply(view, sender, msg, ctx);
    view.commit();
    return events;
  } catch (err) {
    view.rollback();
    throw err;
  }
}

function expectTxError(fn: () => unknown, code: TxErrorCode, message?: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TxError);
  expect((caught as TxError).code).toBe(code);
  if (message !== undefined) expect((caught as TxError).message).toMatch(message);
}

const settings = {
  description: "",
  license: "CC-BY-4.0",
  curators: [],
  contributionStake: 0n,
  reviewFee: 0n,
  allowListed: false,
  contributors: [],
};

function contribute(view: Overlay, who: Uint8Array, n: number, ctx: BlockContext): void {
  exec(view, who, {
    type: "contribute", datanetId: 1, contentHash: hash(n), uri: `ipfs://item-${n}`, sizeBytes: 100, metadata: "",
  }, ctx);
}

const accept = (view: Overlay, id: number, ctx: BlockContext) =>
  exec(view, CURATOR, { type: "review_contribution", contributionId: id, accept: true }, ctx);

function registerModel(view: Overlay, who: Uint8Array, extra: Partial<RegisterModelMsg>) {
  exec(view, who, {
    type: "register_model",
    name: "m",
    kind: "model",
    parentId: 0,
    baseModel: "llama",
    weightsHash: hash(0xaa),
    uri: "ipfs://weights",
    trainedOn: [],
    price: PRICE,
    ...extra,
  }, ctxAt(1));
}

/**
 * Datanet 1: version 1 = [C1 (ALICE), C2 (BOB), C4 (CAROL, later slashed)], version 2 adds C3 (CAROL).
 * Model 1 (OWNER, operator OPERATOR) is trained on version 1; model 2 is an adapter of it (ADAPTER_OWNER);
 * model 3 is free and trained on version 2. PAYER and STRANGER hold funds.
 */
function fixture(): MemoryState {
  const state = new MemoryState();
  state.run((view) => {
    const ctx = ctxAt(1);
    mint(view, PAYER, 100n * PRICE);
    mint(view, STRANGER, 100n * PRICE);
    exec(view, CURATOR, { type: "create_datanet", name: "d", ...settings }, ctx);
    contribute(view, ALICE, 1, ctx);
    contribute(view, BOB, 2, ctx);
    contribute(view, CAROL, 3, ctx);
    contribute(view, CAROL, 4, ctx);
    for (const id of [C1, C2, C4]) accept(view, id, ctx);
    exec(view, CURATOR, { type: "publish_version", datanetId: 1 }, ctx);
    accept(view, C3, ctx);
    exec(view, CURATOR, { type: "publish_version", datanetId: 1 }, ctx);
    exec(view, CURATOR, { type: "slash_contribution", contributionId: C4, reason: "duplicate" }, ctx);
    registerModel(view, OWNER, { trainedOn: [{ datanetId: 1, version: 1 }] });
    exec(view, OWNER, { type: "set_model_operators", modelId: MODEL, add: [OPERATOR], remove: [] }, ctx);
    registerModel(view, ADAPTER_OWNER, { kind: "adapter", parentId: MODEL, baseModel: "" });
    registerModel(view, OWNER, { trainedOn: [{ datanetId: 1, version: 2 }], price: 0n });
  });
  return state;
}

const pay = (view: Overlay, modelId: number, ctx: BlockContext, maxPrice = PRICE, payer = PAYER) =>
  exec(view, payer, { type: "pay_inference", modelId, requestHash: hash(0x11), maxPrice }, ctx);

function record(view: Overlay, sender: Uint8Array, id: number, weights: AttributionWeight[], ctx: BlockContext) {
  return exec(view, sender, { type: "record_inference", inferenceId: id, outputHash: hash(0x22), weights }, ctx);
}

const toContribution = (contributionId: number, ppm: number): AttributionWeight =>
  ({ contributionId, datanetId: 0, version: 0, ppm });
const toVersion = (datanetId: number, version: number, ppm: number): AttributionWeight =>
  ({ contributionId: 0, datanetId, version, ppm });

const attr = (e: TxEvent, key: string) => e.attributes.find((a) => a.key === key)?.value;

const escrow = (view: Overlay) => readAmount(view, MODULE_PREFIX.inferenceEscrow);
const accrued = (view: Overlay) => readAmount(view, MODULE_PREFIX.rewardsAccrued);
const treasury = (view: Overlay) => readAmount(view, MODULE_PREFIX.treasury);

/** Everything the attribution rules move OPEN between. */
function openTotal(view: Overlay): bigint {
  const balances = EVERYONE.reduce((sum, a) => sum + getAccount(view, a).balance, 0n);
  return balances + escrow(view) + accrued(view) + treasury(view);
}

describe("pay_inference", () => {
  it("escrows the price, stores the inference, queues its expiry and indexes it", () => {
    const state = fixture();
    state.run((view) => {
      const events = pay(view, MODEL, ctxAt(10));
      expect(events).toEqual([
        {
          type: "pay_inference",
          attributes: [
            { key: "id", value: "1" },
            { key: "model", value: "1" },
            { key: "payer", value: expect.any(String) },
            { key: "price", value: PRICE.toString() },
          ],
        },
      ]);
      expect(getAccount(view, PAYER).balance).toBe(99n * PRICE);
      expect(escrow(view)).toBe(PRICE);
      expect(attribution.getInference(view, 1)).toMatchObject({
        id: 1, modelId: MODEL, payer: PAYER, price: PRICE, status: "paid", createdHeight: 10, expiresHeight: 10 + EXPIRY,
      });
    });
    expect(state.entries(MODULE_PREFIX.inferenceExpiryQueue)).toHaveLength(1);
    expect(state.entries(MODULE_PREFIX.inferencesByModel)).toHaveLength(1);
    expect(state.entries(MODULE_PREFIX.inferencesByPayer)).toHaveLength(1);
  });

  it("refuses a missing model, a retired model, a price above the max price and a payer without funds", () => {
    const state = fixture();
    state.run((view) => {
      const ctx = ctxAt(10);
      expectTxError(() => pay(view, 99, ctx), "NOT_FOUND", "model 99 does not exist");
      expectTxError(() => pay(view, MODEL, ctx, PRICE - 1n), "INVALID_STATE",
        `model 1's price is ${PRICE}, above your max price ${PRICE - 1n}`);
      expectTxError(() => pay(view, MODEL, ctx, PRICE, CAROL), "INSUFFICIENT_FUNDS");
      exec(view, OWNER, { type: "retire_model", modelId: MODEL }, ctx);
      expectTxError(() => pay(view, MODEL, ctx), "INVALID_STATE", "retired");
      expect(escrow(view)).toBe(0n);
    });
  });

  it("accepts a free model (nothing escrowed) and reports max price as the spend", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, FREE_MODEL, ctxAt(10), 0n);
      expect(escrow(view)).toBe(0n);
      expect(attribution.getInference(view, 1)?.price).toBe(0n);
    });
    expect(attribution.spend({ type: "pay_inference", modelId: 1, requestHash: hash(1), maxPrice: 42n })).toBe(42n);
    expect(attribution.spend({ type: "claim_rewards" })).toBe(0n);
  });
});

describe("record_inference", () => {
  it("a record whose fee cannot pay its credits fails before any contribution is read, and uses none of the block's", () => {
    // A failed record paid only its flat fee, and got its credits back: records that failed FEE_TOO_LOW after
    // reading and crediting a whole version's contributions each (checked after the message ran) filled a
    // block at minFee with ~100 times the work charged, every one of them again on the same paid inference.
    const state = fixture();
    const feePerCredit = PARAMS.attribution.feePerCredit;
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      // Version 1 has 3 contributions: 3 credits, and a fee that pays for 2.
      const block = testContext(11, { params: PARAMS, work: { credits: 0, txFee: 2n * feePerCredit } });
      const reads: string[] = [];
      const get = view.get.bind(view);
      view.get = (key) => {
        reads.push(Buffer.from(key).toString("latin1"));
        return get(key);
      };
      expectTxError(() => record(view, OPERATOR, 1, [toVersion(1, 1, 1_000_000)], block), "FEE_TOO_LOW", /3 reward credits/);
      expect(reads.filter((k) => k.includes("dn/accepted/") || k.includes("dn/contrib/"))).toEqual([]);
      expect(block.work?.credits).toBe(0);
      // Paid for, the same record goes through.
      view.get = get;
      const paid = testContext(11, { params: PARAMS, work: { credits: 0, txFee: 3n * feePerCredit } });
      record(view, OPERATOR, 1, [toVersion(1, 1, 1_000_000)], paid);
      expect(attribution.getInference(view, 1)?.status).toBe("recorded");
    });
  });

  it("reads each contribution a record credits once", () => {
    // Each was decoded three times (the recipients, the payout, the stored trail): 72-188 us per credit.
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      const reads: string[] = [];
      const get = view.get.bind(view);
      view.get = (key) => {
        reads.push(Buffer.from(key).toString("latin1"));
        return get(key);
      };
      record(view, OPERATOR, 1, [toVersion(1, 1, 500_000), toContribution(C1, 400_000)], ctxAt(11));
      view.get = get;
      const contributionReads = reads.filter((k) => k.includes("dn/contrib/"));
      // Version 1: C1, C2 and C4 (slashed: read, not credited), C1 named directly too: each read once (the
      // code before: 10, each again in the payout and the trail, C1 for its own weight too).
      expect(contributionReads).toHaveLength(3);
      expect(new Set(contributionReads).size).toBe(3);
      expect(attribution.getInference(view, 1)?.status).toBe("recorded");
    });
  });

  it("stops at the block's budget of reward credits; the same record fits in the next block", () => {
    const state = fixture();
    const tight = { ...PARAMS, attribution: { ...PARAMS.attribution, maxBlockCredits: 3 } };
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      pay(view, MODEL, ctxAt(10));
      const fee = 10n * PARAMS.attribution.feePerCredit; // pays for the credits: only the budget is in question
      const block = testContext(11, { params: tight, work: { credits: 0, txFee: fee } });
      record(view, OPERATOR, 1, [toContribution(C1, 600_000), toContribution(C2, 300_000)], block);
      expect(block.work?.credits).toBe(2);
      expectTxError(
        () => record(view, OPERATOR, 2, [toContribution(C1, 500_000), toContribution(C2, 500_000)], block),
        "LIMIT_EXCEEDED",
        /reward credits are used up \(2 of 3; this record needs 2\)/,
      );
      const next = testContext(12, { params: tight, work: { credits: 0, txFee: fee } });
      record(view, OPERATOR, 2, [toContribution(C1, 500_000), toContribution(C2, 500_000)], next);
      expect(attribution.getInference(view, 2)?.status).toBe("recorded");
    });
  });

  it("stores every credit it made (direct and through a whole version, dust to the treasury) and indexes each credited contribution", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      record(view, OPERATOR, 1, [toContribution(C1, 300_000), toVersion(1, 1, 700_000)], ctxAt(11));
      // 1,000,007: owner 300,002; data 600,005 -> C1 direct 180,001; version 1's unslashed C1 and C2
      // 420,003 / 2 = 210,001 each (C4 is slashed: nothing); the treasury takes the rest, dust included.
      const p = getInferencePayouts(view, 1);
      expect(p).toEqual({
        inferenceId: 1,
        modelId: MODEL,
        price: PRICE,
        treasury: 100_002n,
        owner: OWNER,
        ownerAmount: 300_002n,
        credits: [
          { weight: 0, contributionId: C1, contributor: ALICE, amount: 180_001n },
          { weight: 1, contributionId: C1, contributor: ALICE, amount: 210_001n },
          { weight: 1, contributionId: C2, contributor: BOB, amount: 210_001n },
        ],
      });
      const credits = (p?.credits ?? []).reduce((sum, c) => sum + c.amount, 0n);
      expect((p?.treasury ?? 0n) + (p?.ownerAmount ?? 0n) + credits).toBe(PRICE);
      expect(treasury(view)).toBe(p?.treasury); // stored as credited, not recomputed
    });
    const indexed = state.entries(MODULE_PREFIX.inferencesByContribution).map(([k]) => k.subarray(-16));
    expect(indexed).toEqual([C1, C2].map((c) => Uint8Array.from([...idKey(c), ...idKey(1)])));
  });

  it("splits 600,000 / 300,000 ppm to two contributions to the base unit", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      const [e] = record(view, OPERATOR, 1, [toContribution(C1, 600_000), toContribution(C2, 300_000)], ctxAt(11));
      // 1,000,007: protocol 100,000; owner 300,002; data 600,005 -> 360,003 and 180,001; treasury the rest
      expect(getRewardsAccrued(view, OWNER)).toBe(300_002n);
      expect(getRewardsAccrued(view, ALICE)).toBe(360_003n);
      expect(getRewardsAccrued(view, BOB)).toBe(180_001n);
      expect(treasury(view)).toBe(160_001n);
      expect(300_002n + 360_003n + 180_001n + 160_001n).toBe(PRICE);
      expect(escrow(view)).toBe(0n);
      expect(accrued(view)).toBe(840_006n);
      expect(e.type).toBe("record_inference");
      expect([attr(e, "treasury"), attr(e, "owner"), attr(e, "contributors")]).toEqual(["160001", "300002", "540004"]);

      expect(attribution.getEarnings(view, "contribution", C1)).toBe(360_003n);
      expect(attribution.getEarnings(view, "contribution", C2)).toBe(180_001n);
      expect(attribution.getEarnings(view, "datanet", 1)).toBe(540_004n);
      expect(attribution.getEarnings(view, "model", MODEL)).toBe(300_002n);
      expect(attribution.getRewardFromSource(view, ALICE, "contribution", C1)).toBe(360_003n);
      expect(attribution.getRewardFromSource(view, OWNER, "model", MODEL)).toBe(300_002n);
      expect(attribution.getInference(view, 1)).toMatchObject({
        status: "recorded", operator: OPERATOR, outputHash: hash(0x22), recordedHeight: 11,
        weights: [toContribution(C1, 600_000), toContribution(C2, 300_000)],
      });
    });
    expect(state.entries(MODULE_PREFIX.inferencesByContribution)).toHaveLength(2);
  });

  it("divides a whole-version weight among its unslashed contributions", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      record(view, OWNER, 1, [toVersion(1, 1, 1_000_000)], ctxAt(10));
      // data 600,005 over C1 and C2 (C4 is slashed): 300,002 each, 1 of dust to the treasury
      expect(getRewardsAccrued(view, ALICE)).toBe(300_002n);
      expect(getRewardsAccrued(view, BOB)).toBe(300_002n);
      expect(getRewardsAccrued(view, CAROL)).toBe(0n);
      expect(treasury(view)).toBe(100_001n);
      expect(attribution.getEarnings(view, "datanet", 1)).toBe(600_004n);
      expect(attribution.getEarnings(view, "contribution", C4)).toBe(0n);
    });
  });

  it("pays the adapter's owner and accepts weights from the parent's lineage", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, ADAPTER, ctxAt(10));
      expectTxError(() => record(view, OPERATOR, 1, [toContribution(C1, 1_000_000)], ctxAt(10)), "UNAUTHORIZED");
      record(view, ADAPTER_OWNER, 1, [toContribution(C1, 1_000_000)], ctxAt(10));
      expect(getRewardsAccrued(view, ADAPTER_OWNER)).toBe(300_002n);
      expect(getRewardsAccrued(view, OWNER)).toBe(0n);
      expect(getRewardsAccrued(view, ALICE)).toBe(600_005n);
      expect(attribution.getEarnings(view, "model", ADAPTER)).toBe(300_002n);
    });
  });

  it("with no weights, the whole data share goes to the treasury", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      record(view, OPERATOR, 1, [], ctxAt(10));
      expect(treasury(view)).toBe(PRICE - 300_002n);
      expect(getRewardsAccrued(view, OWNER)).toBe(300_002n);
    });
  });

  it("refuses weights over 1,000,000 ppm, zero, duplicated or naming both or neither kinds of target", () => {
    const check = (weights: AttributionWeight[]) => () =>
      attribution.check({ type: "record_inference", inferenceId: 1, outputHash: hash(1), weights }, PARAMS);
    expectTxError(check([toContribution(C1, 700_000), toContribution(C2, 500_000)]), "INVALID_MSG",
      "weights sum to 1200000 ppm; at most 1000000");
    expectTxError(check([toContribution(C1, 0)]), "INVALID_MSG", "positive");
    expectTxError(check([toContribution(C1, 1), toContribution(C1, 2)]), "INVALID_MSG", "contribution 1 a second time");
    expectTxError(check([toVersion(1, 1, 1), toVersion(1, 1, 2)]), "INVALID_MSG", "datanet 1 version 1 a second time");
    expectTxError(check([{ contributionId: 1, datanetId: 1, version: 1, ppm: 1 }]), "INVALID_MSG");
    expectTxError(check([{ contributionId: 0, datanetId: 1, version: 0, ppm: 1 }]), "INVALID_MSG");
    expectTxError(check([{ contributionId: 0, datanetId: 0, version: 0, ppm: 1 }]), "INVALID_MSG");
    const many = Array.from({ length: PARAMS.attribution.maxWeights + 1 }, (_, i) => toContribution(i + 1, 1));
    expectTxError(check(many), "INVALID_MSG", "at most 64");
    expect(check([toContribution(C1, 600_000), toVersion(1, 1, 400_000)])).not.toThrow();
  });

  it("refuses a contribution outside the trained-on versions, a slashed one and a version not trained on", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      const ctx = ctxAt(10);
      expectTxError(() => record(view, OPERATOR, 1, [toContribution(C3, 1)], ctx), "ATTRIBUTION_INVALID",
        "contribution 3 is not in any datanet version model 1 was trained on");
      expectTxError(() => record(view, OPERATOR, 1, [toContribution(C4, 1)], ctx), "ATTRIBUTION_INVALID",
        "contribution 4 was slashed");
      expectTxError(() => record(view, OPERATOR, 1, [toContribution(99, 1)], ctx), "NOT_FOUND", "contribution 99");
      expectTxError(() => record(view, OPERATOR, 1, [toVersion(1, 2, 1)], ctx), "ATTRIBUTION_INVALID",
        "datanet 1 version 2 is not one model 1 was trained on");
      expect(attribution.getInference(view, 1)?.status).toBe("paid");
      expect(escrow(view)).toBe(PRICE);
    });
  });

  it("refuses a whole-version weight over a version larger than maxVersionRecipients", () => {
    const state = fixture();
    const small: ChainParams = { ...PARAMS, attribution: { ...PARAMS.attribution, maxVersionRecipients: 2 } };
    state.run((view) => {
      const ctx = testContext(10, { params: small });
      pay(view, MODEL, ctx);
      expectTxError(() => record(view, OPERATOR, 1, [toVersion(1, 1, 1)], ctx), "LIMIT_EXCEEDED",
        "the weights would credit 3 contributions (datanet 1 version 1 alone has 3 contributions); " +
        "one record credits at most 2");
    });
  });

  it("bounds the recipients of a record in total, over all its weights, and refuses before any write", () => {
    // Model 4 is trained on both versions: 3 + 4 contributions, each version alone within a limit of 5.
    const state = fixture();
    const both = [{ datanetId: 1, version: 1 }, { datanetId: 1, version: 2 }];
    state.run((view) => registerModel(view, OWNER, { trainedOn: both }));
    const limit = (maxVersionRecipients: number): ChainParams =>
      ({ ...PARAMS, attribution: { ...PARAMS.attribution, maxVersionRecipients } });
    state.run((view) => {
      pay(view, 4, ctxAt(10));
      pay(view, 4, ctxAt(10));
    });
    const refusals: [AttributionWeight[], string][] = [
      [[toVersion(1, 1, 1), toVersion(1, 2, 1)], "the weights would credit 7 contributions (datanet 1 version 2 alone"],
      [[toVersion(1, 2, 1), toContribution(C1, 1), toContribution(C2, 1)], "would credit 6 contributions"],
    ];
    for (const [weights, message] of refusals) {
      const view = new Overlay(state); // no journal: anything written before the refusal would stay here
      const msg = { type: "record_inference" as const, inferenceId: 1, outputHash: hash(0x22), weights };
      expectTxError(() => attribution.apply(view, OWNER, msg, testContext(11, { params: limit(5) })),
        "LIMIT_EXCEEDED", message);
      expect(view.sortedWrites()).toEqual([]);
    }
    state.run((view) => {
      // exactly at the limit: 3 + 4 recipients, C4 (slashed) counted in both but paid in neither
      const [e] = record(view, OWNER, 1, [toVersion(1, 1, 500_000), toVersion(1, 2, 500_000)],
        testContext(11, { params: limit(7) }));
      expect(attr(e, "recipients")).toBe("5");
      record(view, OWNER, 2, [toContribution(C3, 1), toContribution(C1, 1)], testContext(11, { params: limit(2) }));
    });
  });

  it("refuses a non-operator, a missing inference and a second record", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      expectTxError(() => record(view, STRANGER, 1, [], ctxAt(10)), "UNAUTHORIZED",
        /is not an operator of model 1/);
      expectTxError(() => record(view, OWNER, 2, [], ctxAt(10)), "NOT_FOUND", "inference 2 does not exist");
      record(view, OWNER, 1, [], ctxAt(11));
      expectTxError(() => record(view, OWNER, 1, [], ctxAt(12)), "INVALID_STATE",
        "inference 1 was already recorded at height 11");
    });
  });

  it("refuses recording after expiry, both before and after the refund ran", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      pay(view, MODEL, ctxAt(10));
      record(view, OWNER, 1, [], ctxAt(10 + EXPIRY)); // the last height is still in time
      expectTxError(() => record(view, OWNER, 2, [], ctxAt(11 + EXPIRY)), "EXPIRED");
      attribution.endBlock(view, ctxAt(10 + EXPIRY));
      expectTxError(() => record(view, OWNER, 2, [], ctxAt(10 + EXPIRY)), "EXPIRED", "inference 2 expired");
    });
  });
});

describe("the expiry queue", () => {
  /** An overlay that counts the bytes each read and write moves, whatever the key. */
  class CountingOverlay extends Overlay {
    bytes = 0;
    override get(key: Uint8Array) {
      const v = super.get(key);
      this.bytes += key.byteLength + (v?.byteLength ?? 0);
      return v;
    }

    override set(key: Uint8Array, value: Uint8Array) {
      this.bytes += key.byteLength + value.byteLength;
      super.set(key, value);
    }
  }

  it("costs each pay the same whatever the height's queue already holds, one key per entry", () => {
    const state = fixture();
    const view = new CountingOverlay(state);
    const costs: number[] = [];
    const n = 3000;
    for (let i = 0; i < n; i++) {
      view.bytes = 0;
      pay(view, FREE_MODEL, ctxAt(10), 0n);
      costs.push(view.bytes);
    }
    // The first pay also creates the queue's count and each id grows a varint now and then: a few bytes.
    expect(Math.max(...costs.slice(1)) - Math.min(...costs.slice(1))).toBeLessThan(16);
    state.apply(view.sortedWrites());
    const entries = state.entries(MODULE_PREFIX.inferenceExpiryQueue);
    expect(entries).toHaveLength(n);
    expect(entries[n - 1][1]).toEqual(idKey(n)); // in queue order, the inference id as 8 bytes
    expect(state.entries(MODULE_PREFIX.inferenceExpiryCount)).toEqual([
      [stateKey(MODULE_PREFIX.inferenceExpiryCount, idKey(10 + EXPIRY)), idKey(n)],
    ]);
  });

  it("refunds a height's unrecorded inferences, skips recorded ones, and deletes the whole queue", () => {
    const state = fixture();
    state.run((view) => {
      for (let i = 0; i < 50; i++) pay(view, MODEL, ctxAt(10));
      pay(view, MODEL, ctxAt(11)); // the next height's queue is left alone
      for (let id = 2; id <= 50; id += 2) record(view, OPERATOR, id, [], ctxAt(11));
      const before = getAccount(view, PAYER).balance;
      const events = attribution.endBlock(view, ctxAt(10 + EXPIRY));
      expect(events.map((e) => Number(attr(e, "id")))).toEqual(Array.from({ length: 25 }, (_, i) => 2 * i + 1));
      expect(getAccount(view, PAYER).balance).toBe(before + 25n * PRICE);
      expect(escrow(view)).toBe(PRICE);
    });
    expect(state.entries(MODULE_PREFIX.inferenceExpiryQueue)).toHaveLength(1);
    expect(state.entries(MODULE_PREFIX.inferenceExpiryCount)).toHaveLength(1);
    state.run((view) => expect(attribution.endBlock(view, ctxAt(11 + EXPIRY))).toHaveLength(1));
    expect(state.entries(MODULE_PREFIX.inferenceExpiryQueue)).toHaveLength(0);
    expect(state.entries(MODULE_PREFIX.inferenceExpiryCount)).toHaveLength(0);
  });
});

describe("endBlock expiry", () => {
  it("refunds unrecorded inferences at their expiry height, skips recorded ones, and clears the queue", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      pay(view, MODEL, ctxAt(10));
      record(view, OPERATOR, 2, [], ctxAt(11));
      expect(attribution.endBlock(view, ctxAt(10 + EXPIRY - 1))).toEqual([]);
      const balance = getAccount(view, PAYER).balance;
      const events = attribution.endBlock(view, ctxAt(10 + EXPIRY));
      expect(events.map((e) => [e.type, attr(e, "id"), attr(e, "refund")])).toEqual([
        ["inference_expired", "1", PRICE.toString()],
      ]);
      expect(getAccount(view, PAYER).balance).toBe(balance + PRICE);
      expect(escrow(view)).toBe(0n);
      expect(attribution.getInference(view, 1)?.status).toBe("expired");
      expect(attribution.getInference(view, 2)?.status).toBe("recorded");
    });
    expect(state.entries(MODULE_PREFIX.inferenceExpiryQueue)).toHaveLength(0);
  });
});

describe("claim_rewards", () => {
  it("moves accrued rewards to the balance, keeps the lifetime claimed total, and refuses an empty claim", () => {
    const state = fixture();
    state.run((view) => {
      pay(view, MODEL, ctxAt(10));
      record(view, OPERATOR, 1, [toContribution(C1, 600_000), toContribution(C2, 300_000)], ctxAt(10));
      const [e] = exec(view, ALICE, { type: "claim_rewards" }, ctxAt(11));
      expect(attr(e, "amount")).toBe("360003");
      expect(getAccount(view, ALICE).balance).toBe(360_003n);
      expect(attribution.getRewards(view, ALICE)).toEqual({ accrued: 0n, claimed: 360_003n });
      expect(accrued(view)).toBe(300_002n + 180_001n);
      expectTxError(() => exec(view, ALICE, { type: "claim_rewards" }, ctxAt(11)), "INVALID_STATE", "no rewards to claim");
      expectTxError(() => exec(view, STRANGER, { type: "claim_rewards" }, ctxAt(11)), "INVALID_STATE");
    });
  });
});

function getRewardsAccrued(view: Overlay, address: Uint8Array): bigint {
  return attribution.getRewards(view, address).accrued;
}

// ---- conservation ----

const WEIGHT_POOL: AttributionWeight[] = [
  toContribution(C1, 400_000),
  toContribution(C2, 123_457),
  toContribution(C3, 77_777), // only in version 2: fine for the free model, refused for model 1
  toContribution(C4, 1), // slashed: always refused
  toVersion(1, 1, 333_333),
  toVersion(1, 2, 65_432),
];

/** Weighted toward steps that succeed, so the sequences reach recorded, expired and claimed states. */
const opArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("pay" as const),
      model: fc.constantFrom(MODEL, MODEL, ADAPTER, FREE_MODEL, 99),
      payer: fc.constantFrom(PAYER, PAYER, STRANGER, CAROL),
      short: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), // max price below the price
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("record" as const),
      pick: fc.nat(),
      sender: fc.constantFrom(OWNER, OPERATOR, ADAPTER_OWNER, STRANGER),
      // mostly weights model 1 and its adapter accept; sometimes anything, refusals included
      weights: fc.oneof(
        { weight: 3, arbitrary: fc.subarray([WEIGHT_POOL[0], WEIGHT_POOL[1], WEIGHT_POOL[4]]) },
        { weight: 1, arbitrary: fc.subarray(WEIGHT_POOL) },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("claim" as const), who: fc.constantFrom(...EVERYONE) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("block" as const) }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies one random step; refusals are expected (they must leave no trace) and are swallowed. */
function step(view: Overlay, op: Op, height: number): number {
  const ctx = ctxAt(height);
  const inferences = countInferences(view);
  try {
    if (op.kind === "pay") pay(view, op.model, ctx, op.short ? PRICE - 1n : PRICE, op.payer);
    if (op.kind === "record") {
      if (inferences === 0) return height;
      record(view, op.sender, (op.pick % inferences) + 1, op.weights, ctx);
    }
    if (op.kind === "claim") exec(view, op.who, { type: "claim_rewards" }, ctx);
    if (op.kind === "block") STATS.expired += attribution.endBlock(view, ctx).length;
    STATS[op.kind]++;
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
  }
  return op.kind === "block" ? height + 1 : height;
}

/** Successful steps, so the test can show it exercised every rule and not only refusals. */
const STATS = { pay: 0, record: 0, claim: 0, block: 0, expired: 0 };

describe("conservation", () => {
  it("no sequence of pay / record / claim / expiry creates or destroys OPEN", () => {
    const base = fixture();
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 40, size: "max" }), (ops) => {
        const state = new MemoryState();
        for (const [k, v] of base.map) state.map.set(k, v);
        state.run((view) => {
          const total = openTotal(view);
          let height = 2;
          for (const op of ops) {
            height = step(view, op, height);
            expect(openTotal(view)).toBe(total);
            expect(escrow(view)).toBe(escrowedByPaidInferences(view));
            expect(accrued(view)).toBe(EVERYONE.reduce((s, a) => s + getRewardsAccrued(view, a), 0n));
          }
        });
      }),
      { numRuns: 150 },
    );
    for (const n of Object.values(STATS)) expect(n).toBeGreaterThan(10);
  });
});

function countInferences(view: Overlay): number {
  let n = 0;
  while (attribution.getInference(view, n + 1) !== undefined) n++;
  return n;
}

function escrowedByPaidInferences(view: Overlay): bigint {
  let sum = 0n;
  for (let id = 1; ; id++) {
    const inference = attribution.getInference(view, id);
    if (inference === undefined) return sum;
    if (inference.status === "paid") sum += inference.price;
  }
}
