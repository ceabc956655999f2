import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import type { AttributionWeight } from "../../proto/module-msgs.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcError } from "../../rpc/errors.ts";
import { TX_ERRORS } from "../../state/errors.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { createValidatorMsg } from "../helpers/validator-msg.ts";
import { TestAccount } from "../helpers/accounts.ts";
import {
  DATANET_SETTINGS,
  ECONOMY_FEE,
  idOf,
  type Included,
  includedTx,
  sendAll,
  signMsg,
  submitTx,
} from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * The AI economy's refusals as a user sees them, through a real node (real LevelDB, real HTTP JSON-RPC):
 * each bad transaction is refused with a clear error (at admission, or failed in its block with a code and
 * log), and nothing moves but the fee its sender paid: every balance, nonce, reward, stake, earning and
 * supply figure is read before and after and compared.
 */
// Ten times the minimum: a record pays at least feePerCredit per reward credit it makes (up to 3 here).
const FEE = ECONOMY_FEE;
const EXPIRY_BLOCKS = 15;
const JAIL_BLOCKS = 1000;
const PRICE = ONE_OPEN;

let chain: TestChain;
let faucet: TestAccount;
/** Receives every fee: the account of the block proposer's consensus address (the single real validator). */
let collector: string;
const owner = new TestAccount(); // owns the datanets and the model, curates, operates the model
const contributor = new TestAccount(); // contributes; on the allow list
const payer = new TestAccount(); // pays inferences
const mallory = new TestAccount(); // no role anywhere
const delegator = new TestAccount(); // stakes with the genesis validator
const victor = new TestAccount(); // creates a validator that never signs
const named = { owner, contributor, payer, mallory, delegator, victor };
type Name = keyof typeof named | "faucet" | "collector";

const ids = { open: 0, listed: 0, inVersion1: 0, afterVersion1: 0, pending: 0, model: 0 };

async function call<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return chain.rpc.call<T>(method, params);
}

/** Signs `msg` with the account's next nonce (and advances it); `nonce` overrides without advancing. */
const sign = (account: TestAccount, msg: TxMsg, nonce?: number) => signMsg(chain, account, msg, { nonce, fee: FEE });
const submit = (bytes: Uint8Array) => submitTx(chain, bytes);
const included = (hash: string) => includedTx(chain, hash);
/** Submits each (account, message) in order, waits for all, expects all to succeed. */
const send = (...txs: [TestAccount, TxMsg][]) => sendAll(chain, txs, FEE);

/** Sends one message that must fail in its block; returns its inclusion (code, log, height). */
async function sendFailing(account: TestAccount, msg: TxMsg): Promise<Included> {
  const t = await included(await submit(sign(account, msg)));
  expect(t.result.code, `${msg.type} should have failed`).not.toBe(0);
  // A failed message leaves only its fee: no event of the message itself.
  expect(t.result.events.map((e) => e.type)).toEqual(["fee"]);
  expect(t.result.events[0].attributes).toMatchObject({ payer: account.bech32, amount: FEE.toString() });
  return t;
}

async function refusal(bytes: Uint8Array): Promise<RpcError> {
  try {
    await submit(bytes);
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("the node admitted a transaction it should have refused");
}

const hash = (text: string) => sha256(new TextEncoder().encode(text));

interface AccountFigures {
  balance: string;
  nonce: number;
  accrued: string;
  claimed: string;
  staked: string;
  unbonding: string;
}

interface Snapshot {
  height: number;
  accounts: Record<Name, AccountFigures>;
  supply: Record<string, string>;
  validators: Record<string, { tokens: string; shares: string }>;
  earnings: Record<string, string>;
}

function addressOf(name: Name): string {
  if (name === "faucet") return faucet.bech32;
  if (name === "collector") return collector;
  return named[name].bech32;
}

/** Every figure that money could move, all read at one height (the latest, unless given). */
async function snapshot(at?: number): Promise<Snapshot> {
  const height = at ?? (await call<{ latestHeight: number }>("node_getStatus")).latestHeight;
  const names: Name[] = ["faucet", "collector", ...(Object.keys(named) as (keyof typeof named)[])];
  const accounts = {} as Record<Name, AccountFigures>;
  await Promise.all(
    names.map(async (name) => {
      const address = addressOf(name);
      const [a, r, s] = await Promise.all([
        call<{ balance: string; nonce: number }>("account_get", { address, height }),
        call<{ accrued: string; claimed: string }>("attribution_getRewards", { address, height }),
        call<{ totalStaked: string; totalUnbonding: string }>("staking_getStake", { delegator: address, height }),
      ]);
      accounts[name] = {
        balance: a.balance,
        nonce: a.nonce,
        accrued: r.accrued,
        claimed: r.claimed,
        staked: s.totalStaked,
        unbonding: s.totalUnbonding,
      };
    }),
  );
  const supply = await call<Record<string, string>>("bank_getSupply", { height });
  delete supply.height;
  const validators: Snapshot["validators"] = {};
  for (const v of [faucet, victor]) {
    const got = await call<{ tokens: string; shares: string }>("staking_getValidator", { address: v.bech32, height });
    validators[v.bech32] = { tokens: got.tokens, shares: got.shares };
  }
  const earnings: Record<string, string> = {};
  for (const [key, params] of [
    ["model", { modelId: ids.model }],
    ["datanet", { datanetId: ids.open }],
    ["contribution", { contributionId: ids.inVersion1 }],
  ] as const) {
    earnings[key] = (await call<{ total: string }>("attribution_getEarnings", { ...params, height })).total;
  }
  return { height, accounts, supply, validators, earnings };
}

/** `before` with the height of `after`, `sender` poorer by one fee and one nonce further, the collector richer. */
function onlyFeeMoved(before: Snapshot, after: Snapshot, sender: Name): Snapshot {
  const expected = structuredClone(before);
  expected.height = after.height;
  const s = expected.accounts[sender];
  s.balance = (BigInt(s.balance) - FEE).toString();
  s.nonce += 1;
  // The collector may be another name's account too (the faucet operates the validator that proposes).
  for (const name of Object.keys(expected.accounts) as Name[]) {
    if (addressOf(name) !== collector) continue;
    const c = expected.accounts[name];
    c.balance = (BigInt(c.balance) + FEE).toString();
  }
  return expected;
}

/** Checks a failed-in-block transaction: its code and log, and that only its fee moved. */
async function expectFailedInBlock(
  before: Snapshot,
  t: Included,
  sender: Name,
  code: keyof typeof TX_ERRORS,
  log: RegExp,
): Promise<Snapshot> {
  expect(t.result.code, t.result.log).toBe(TX_ERRORS[code]);
  expect(t.result.log).toMatch(log);
  const after = await snapshot(t.height);
  expect(after).toEqual(onlyFeeMoved(before, after, sender));
  return after;
}

async function inference(id: number): Promise<{ status: string; expiresHeight: number; recordedHeight: number }> {
  return call("attribution_getInference", { id });
}

async function payInference(): Promise<{ id: number; height: number }> {
  const [paid] = await send([payer, { type: "pay_inference", modelId: ids.model, requestHash: hash(`q${payer.nonce}`), maxPrice: PRICE }]);
  return { id: idOf(paid), height: paid.height };
}

function record(inferenceId: number, weights: AttributionWeight[]): TxMsg {
  return { type: "record_inference", inferenceId, outputHash: hash(`out ${inferenceId}`), weights };
}

const toContribution = (contributionId: number, ppm: number): AttributionWeight => ({
  contributionId,
  datanetId: 0,
  version: 0,
  ppm,
});
const toVersion = (datanetId: number, version: number, ppm: number): AttributionWeight => ({
  contributionId: 0,
  datanetId,
  version,
  ppm,
});

const settings = DATANET_SETTINGS;

beforeAll(async () => {
  chain = await startTestChain({
    blockIntervalMs: 100,
    params: (p) => ({
      ...p,
      // Victor's validator never signs: jailed after missing 3 of a 6-block window, for 1000 blocks.
      staking: { ...p.staking, signedBlocksWindow: 6, maxMissedBlocks: 2, downtimeJailBlocks: JAIL_BLOCKS },
      attribution: { ...p.attribution, inferenceExpiryBlocks: EXPIRY_BLOCKS },
    }),
  });
  faucet = chain.faucet;
  // Fees go to the proposer's operator: the genesis validator, which proposes every block that lands (victor's
  // never signs), is operated by the faucet's key.
  collector = faucet.bech32;
  const funded = await send(
    ...Object.values(named).map((a): [TestAccount, TxMsg] => [
      faucet,
      { type: "transfer", to: a.address, amount: 100n * ONE_OPEN },
    ]),
  );
  expect(funded[0].result.events[0].attributes.recipient).toBe(collector);

  // Victor's validator first (its jailing takes a few blocks), with the least self-stake: power 1,000 against
  // the genesis validator's 1,000,000, which alone keeps far more than 2/3.
  const [, , open, listed] = await send(
    [
      victor,
      createValidatorMsg({ chainId: chain.chainId, operator: victor.address, moniker: "victor", selfStake: ONE_OPEN }),
    ],
    [delegator, { type: "stake", validator: faucet.address, amount: 5n * ONE_OPEN }],
    [owner, { type: "create_datanet", name: "open", ...settings }],
    [owner, { type: "create_datanet", name: "listed", ...settings, allowListed: true, contributors: [contributor.address] }],
  );
  ids.open = idOf(open);
  ids.listed = idOf(listed);

  const contributed = await send(
    ...[1, 2, 3].map((i): [TestAccount, TxMsg] => [
      contributor,
      { type: "contribute", datanetId: ids.open, contentHash: hash(`item ${i}`), uri: `ipfs://item${i}`, sizeBytes: i, metadata: "" },
    ]),
  );
  [ids.inVersion1, ids.afterVersion1, ids.pending] = contributed.map(idOf);
  // Version 1 holds the first item; the second is accepted after it and is in version 2 only; the third waits.
  await send(
    [owner, { type: "review_contribution", contributionId: ids.inVersion1, accept: true }],
    [owner, { type: "publish_version", datanetId: ids.open }],
    [owner, { type: "review_contribution", contributionId: ids.afterVersion1, accept: true }],
    [owner, { type: "publish_version", datanetId: ids.open }],
  );
  const [model] = await send([
    owner,
    {
      type: "register_model",
      name: "m",
      kind: "model",
      parentId: 0,
      baseModel: "llama",
      weightsHash: hash("weights"),
      uri: "ipfs://weights",
      trainedOn: [{ datanetId: ids.open, version: 1 }],
      price: PRICE,
    },
  ]);
  ids.model = idOf(model);
}, 30_000);

afterAll(async () => {
  await chain?.stop();
});

describe("attribution refusals", () => {
  it("weights over 1,000,000 ppm: refused at admission, nothing moves, the nonce stays unused", async () => {
    const paid = await payInference();
    const before = await snapshot();
    const over = record(paid.id, [toContribution(ids.inVersion1, 600_000), toVersion(ids.open, 1, 400_001)]);
    const err = await refusal(sign(owner, over, owner.nonce));
    expect(err.code).toBe(1000 + TX_ERRORS.INVALID_MSG);
    expect((err.data as { reason: string }).reason).toBe("INVALID_MSG");
    expect(err.message).toMatch(/weights sum to 1000001 ppm; at most 1000000/);
    expect((await call<{ mempoolSize: number }>("node_getStatus")).mempoolSize).toBe(0);

    await chain.waitForHeight(before.height + 2);
    const after = await snapshot();
    expect(after).toEqual({ ...before, height: after.height });
    expect(await inference(paid.id)).toMatchObject({ status: "paid" });

    // The refused transaction's nonce is still free: a good record with it goes through.
    const good = record(paid.id, [toContribution(ids.inVersion1, 600_000), toVersion(ids.open, 1, 400_000)]);
    const [ok] = await send([owner, good]);
    expect(ok.result.events.map((e) => e.type)).toContain("record_inference");
    expect(await inference(paid.id)).toMatchObject({ status: "recorded" });
  });

  it("a record from a non-operator fails in its block (UNAUTHORIZED); only the fee moves", async () => {
    const paid = await payInference();
    const before = await snapshot();
    const t = await sendFailing(mallory, record(paid.id, [toContribution(ids.inVersion1, 1_000_000)]));
    await expectFailedInBlock(
      before,
      t,
      "mallory",
      "UNAUTHORIZED",
      new RegExp(`^${mallory.bech32} is not an operator of model ${ids.model}$`),
    );
    expect(await inference(paid.id)).toMatchObject({ status: "paid", operator: null });
    await send([owner, record(paid.id, [toContribution(ids.inVersion1, 1_000_000)])]); // closes it
  });

  it("a contribution or version outside the trained-on versions fails in its block (ATTRIBUTION_INVALID)", async () => {
    const paid = await payInference();
    let before = await snapshot();
    const notInV1 = await sendFailing(owner, record(paid.id, [toContribution(ids.afterVersion1, 500_000)]));
    before = await expectFailedInBlock(
      before,
      notInV1,
      "owner",
      "ATTRIBUTION_INVALID",
      new RegExp(`^contribution ${ids.afterVersion1} is not in any datanet version model ${ids.model} was trained on$`),
    );
    const version2 = await sendFailing(owner, record(paid.id, [toVersion(ids.open, 2, 500_000)]));
    await expectFailedInBlock(
      before,
      version2,
      "owner",
      "ATTRIBUTION_INVALID",
      new RegExp(`^datanet ${ids.open} version 2 is not one model ${ids.model} was trained on$`),
    );
    expect(await inference(paid.id)).toMatchObject({ status: "paid" });
    await send([owner, record(paid.id, [toContribution(ids.inVersion1, 500_000)])]); // closes it
  });

  it("a second record for one payment fails in its block (INVALID_STATE, naming the first's height)", async () => {
    const paid = await payInference();
    const [first] = await send([owner, record(paid.id, [toVersion(ids.open, 1, 1_000_000)])]);
    const before = await snapshot();
    const t = await sendFailing(owner, record(paid.id, [toContribution(ids.inVersion1, 1_000_000)]));
    await expectFailedInBlock(
      before,
      t,
      "owner",
      "INVALID_STATE",
      new RegExp(`^inference ${paid.id} was already recorded at height ${first.height}$`),
    );
    expect(await inference(paid.id)).toMatchObject({ status: "recorded", recordedHeight: first.height });
  });

  it("recording after expiry fails in its block (EXPIRED); the payer was refunded at expiry", async () => {
    const start = await snapshot();
    const paid = await payInference();
    expect(await inference(paid.id)).toMatchObject({ status: "paid", expiresHeight: paid.height + EXPIRY_BLOCKS });
    const escrowed = await snapshot(paid.height);
    expect(BigInt(escrowed.supply.inferenceEscrow) - BigInt(start.supply.inferenceEscrow)).toBe(PRICE);
    expect(BigInt(start.accounts.payer.balance) - BigInt(escrowed.accounts.payer.balance)).toBe(PRICE + FEE);

    await waitFor(
      `inference ${paid.id} expired`,
      async () => ((await inference(paid.id)).status === "expired" ? true : undefined),
      15_000,
    );
    // Refunded at the end of its expiry height: escrow and payer back where they were, less the payment's fee.
    const refunded = await snapshot(paid.height + EXPIRY_BLOCKS);
    expect(refunded).toEqual(onlyFeeMoved(start, refunded, "payer"));
    const notYet = await snapshot(paid.height + EXPIRY_BLOCKS - 1);
    expect(notYet.supply.inferenceEscrow).toBe(escrowed.supply.inferenceEscrow);

    const before = await snapshot();
    const t = await sendFailing(owner, record(paid.id, [toContribution(ids.inVersion1, 1_000_000)]));
    await expectFailedInBlock(
      before,
      t,
      "owner",
      "EXPIRED",
      new RegExp(`^inference ${paid.id} expired at the end of height ${paid.height + EXPIRY_BLOCKS}; it was refunded$`),
    );
    expect(await inference(paid.id)).toMatchObject({ status: "expired" });
  });
});

describe("datanet refusals", () => {
  it("a review by a non-curator fails in its block (UNAUTHORIZED); the contribution stays pending", async () => {
    const before = await snapshot();
    const t = await sendFailing(mallory, { type: "review_contribution", contributionId: ids.pending, accept: false });
    await expectFailedInBlock(
      before,
      t,
      "mallory",
      "UNAUTHORIZED",
      new RegExp(`^${mallory.bech32} is not a curator of datanet ${ids.open}$`),
    );
    expect(await call("datanet_getContribution", { id: ids.pending })).toMatchObject({
      status: "pending",
      stake: ONE_OPEN.toString(),
      reviewer: null,
    });
    expect(before.supply.contributionStakes).toBe(ONE_OPEN.toString()); // the pending stake, still in escrow
  });

  it("contributing to an allow-listed datanet when not listed fails in its block (UNAUTHORIZED); no stake locked", async () => {
    const before = await snapshot();
    const contribute = (from: TestAccount): TxMsg => ({
      type: "contribute",
      datanetId: ids.listed,
      contentHash: hash(`listed by ${from.bech32}`),
      uri: "ipfs://listed",
      sizeBytes: 1,
      metadata: "",
    });
    const t = await sendFailing(mallory, contribute(mallory));
    await expectFailedInBlock(
      before,
      t,
      "mallory",
      "UNAUTHORIZED",
      new RegExp(`^${mallory.bech32} is not on datanet ${ids.listed}'s allow list$`),
    );
    expect(await call("datanet_get", { id: ids.listed })).toMatchObject({ contributionCount: 0 });
    // The listed contributor may.
    await send([contributor, contribute(contributor)]);
    expect(await call("datanet_get", { id: ids.listed })).toMatchObject({ contributionCount: 1 });
  });
});

describe("staking refusals", () => {
  it("unstaking more than staked fails in its block (INSUFFICIENT_STAKE, naming the staked amount)", async () => {
    let before = await snapshot();
    expect(before.accounts.delegator.staked).toBe((5n * ONE_OPEN).toString());
    const tooMuch = await sendFailing(delegator, { type: "unstake", validator: faucet.address, amount: 6n * ONE_OPEN });
    before = await expectFailedInBlock(
      before,
      tooMuch,
      "delegator",
      "INSUFFICIENT_STAKE",
      new RegExp(
        `^unstaking ${6n * ONE_OPEN}, but ${delegator.bech32} has only ${5n * ONE_OPEN} staked with validator ${faucet.bech32}$`,
      ),
    );
    const none = await sendFailing(delegator, { type: "unstake", validator: victor.address, amount: 1n });
    await expectFailedInBlock(
      before,
      none,
      "delegator",
      "INSUFFICIENT_STAKE",
      new RegExp(`^${delegator.bech32} has no stake with validator ${victor.bech32}$`),
    );
    const stake = await call<{ unbonding: unknown[] }>("staking_getStake", { delegator: delegator.bech32 });
    expect(stake.unbonding).toEqual([]);
  });

  it("unjailing before the jail period ends fails in its block (STILL_JAILED, naming the height)", async () => {
    const jailed = await waitFor(
      "victor's validator jailed for downtime",
      async () => {
        const v = await call<{ jailed: boolean; jailedUntil: number }>("staking_getValidator", { address: victor.bech32 });
        return v.jailed ? v : undefined;
      },
      15_000,
    );
    expect(jailed.jailedUntil).toBeGreaterThan(JAIL_BLOCKS);
    const before = await snapshot();
    const t = await sendFailing(victor, { type: "unjail" });
    expect(t.height).toBeLessThan(jailed.jailedUntil);
    await expectFailedInBlock(
      before,
      t,
      "victor",
      "STILL_JAILED",
      new RegExp(`^validator ${victor.bech32} is jailed until height ${jailed.jailedUntil}; this is height ${t.height}$`),
    );
    expect(await call("staking_getValidator", { address: victor.bech32 })).toMatchObject({
      jailed: true,
      jailedUntil: jailed.jailedUntil,
      active: false,
      tokens: ONE_OPEN.toString(),
    });
  });
});
