import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { concatBytes, toHex, u64be, utf8 } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { verifyMerkleProof } from "../../crypto/merkle.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { HEADER_CACHE_HEIGHTS } from "../../rpc/committed-header.ts";
import { MAX_RAW_KEY_BYTES } from "../../rpc/proof-keys.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { DATANET_SETTINGS, idOf, reasonOf, rpcFailure, sendAll } from "../helpers/economy.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import {
  headerFailure,
  type LightBlock,
  type ProofAnswer,
  proofAnswerFailure,
  validatorsFromJson,
} from "../helpers/proof-answer.ts";
import { createValidatorMsg } from "../helpers/validator-msg.ts";

/**
 * State proofs over real HTTP against a real node, checked as a client that trusts only a validator set
 * would: state_getProof for every key kind (present and absent), light_getBlock across a validator-set
 * change, `prove: true` on the get methods, and datanet_proveMembership chained to a signed header.
 */
let chain: TestChain;
let faucet: TestAccount; // the genesis validator's operator
const alice = new TestAccount();
const nobody = new TestAccount();
const ids = { datanet: 0, contribution: 0, model: 0, inference: 0 };
let setChangedAt = 0; // a height whose next validator set differs from its own

const send = (...txs: [TestAccount, TxMsg][]) => sendAll(chain, txs);
const call = <T = Record<string, unknown>>(method: string, params: Record<string, unknown>) =>
  chain.rpc.call<T>(method, params);
const prove = (key: Record<string, unknown>, height?: number) =>
  call<ProofAnswer>("state_getProof", height === undefined ? { key } : { key, height });

const failure = (method: string, params: Record<string, unknown>) => rpcFailure(chain.rpc, method, params);
const reason = reasonOf;
const hash = (text: string) => sha256(utf8(text));

beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 100 });
  faucet = chain.faucet;
  await send([faucet, { type: "transfer", to: alice.address, amount: 100n * ONE_OPEN }]);
  const [created] = await send([
    faucet,
    { type: "create_datanet", name: "corpus", ...DATANET_SETTINGS, reviewFee: 0n },
  ]);
  ids.datanet = idOf(created);
  const [contributed] = await send([
    alice,
    { type: "contribute", datanetId: ids.datanet, contentHash: hash("item"), uri: "ipfs://item", sizeBytes: 1, metadata: "" },
  ]);
  ids.contribution = idOf(contributed);
  await send([faucet, { type: "review_contribution", contributionId: ids.contribution, accept: true }]);
  await send([faucet, { type: "publish_version", datanetId: ids.datanet }]);
  const [model] = await send([
    faucet,
    {
      type: "register_model",
      name: "m",
      kind: "model",
      parentId: 0,
      baseModel: "llama",
      weightsHash: hash("w"),
      uri: "ipfs://w",
      trainedOn: [{ datanetId: ids.datanet, version: 1 }],
      price: ONE_OPEN,
    },
  ]);
  ids.model = idOf(model);
  const [paid] = await send([alice, { type: "pay_inference", modelId: ids.model, requestHash: hash("q"), maxPrice: ONE_OPEN }]);
  ids.inference = idOf(paid);
  await send([
    faucet,
    {
      type: "record_inference",
      inferenceId: ids.inference,
      outputHash: hash("out"),
      weights: [{ contributionId: ids.contribution, datanetId: 0, version: 0, ppm: 1_000_000 }],
    },
  ]);
  // Staking: alice stakes with the genesis validator and becomes a (small) validator: the set changes.
  const [, created2] = await send(
    [alice, { type: "stake", validator: faucet.address, amount: 10n * ONE_OPEN }],
    [alice, createValidatorMsg({ chainId: chain.chainId, operator: alice.address, moniker: "alice", selfStake: 5n * ONE_OPEN })],
  );
  await chain.waitForHeight(created2.height + 3);
  for (let h = created2.height; h <= created2.height + 2; h++) {
    const b = await call<LightBlock>("light_getBlock", { height: h });
    if (b.header.validatorsHash !== b.header.nextValidatorsHash) setChangedAt = h;
  }
}, 60_000);

afterAll(async () => {
  await chain?.stop();
});

describe("state_getProof", () => {
  it("every key kind: a proof the verifier accepts against a header signed by the height's validators", async () => {
    const present: Record<string, unknown>[] = [
      { account: faucet.bech32 },
      { account: alice.bech32 },
      { datanet: ids.datanet },
      { contribution: ids.contribution },
      { model: ids.model },
      { inference: ids.inference },
      { rewards: alice.bech32 },
      { stake: { delegator: alice.bech32, validator: faucet.bech32 } },
      { validator: faucet.bech32 },
      { datanetVersion: { datanetId: ids.datanet, version: 1 } },
      { earnings: { kind: "contribution", id: ids.contribution } },
      { raw: toHex(concatBytes(utf8("bank/acct/"), alice.address)) },
    ];
    for (const key of present) {
      const a = await prove(key);
      expect(await proofAnswerFailure(chain.rpc, a), JSON.stringify(key)).toBeUndefined();
      expect(a.valueBytes, JSON.stringify(key)).not.toBeNull();
      expect(a.proof.leaf?.path).toBe(toHex(sha256(Buffer.from(a.key, "hex"))));
      // The same record asked by its raw key answers alike, shown as its kind shows it.
      if (!("raw" in key)) expect((await prove({ raw: a.key })).value, JSON.stringify(key)).toEqual(a.value);
      expect(a.committedBy).toBe(
        `the header at height ${a.height} commits to the state after block ${a.height}; the commit is signed by ` +
        `the validator set of height ${a.height}`,
      );
    }
  });

  it("names the module's key and shows the value as the get method does", async () => {
    const acct = await prove({ account: alice.bech32 });
    expect(acct.key).toBe(toHex(concatBytes(utf8("bank/acct/"), alice.address)));
    const got = await call("account_get", { address: alice.bech32, height: acct.height }).catch(() => undefined);
    const now = await call("account_get", { address: alice.bech32 });
    expect(acct.value).toEqual({ address: alice.bech32, balance: now.balance, nonce: now.nonce });
    if (got !== undefined) expect(got).toMatchObject(acct.value as object);
    const d = await prove({ datanet: ids.datanet });
    expect(d.key).toBe(toHex(concatBytes(utf8("dn/net/"), u64be(ids.datanet))));
    expect(await call("datanet_get", { id: ids.datanet })).toMatchObject(d.value as object);
    expect(d.value).toMatchObject({ id: ids.datanet, owner: faucet.bech32, versionCount: 1 });
    const m = await prove({ model: ids.model });
    expect(m.value).toMatchObject({ id: ids.model, owner: faucet.bech32, name: "m" });
    const inf = await prove({ inference: ids.inference });
    expect(inf.value).toMatchObject({ id: ids.inference, payer: alice.bech32, status: "recorded" });
    const c = await prove({ contribution: ids.contribution });
    expect(c.value).toMatchObject({ id: ids.contribution, contributor: alice.bech32, status: "accepted" });
    const r = await prove({ rewards: alice.bech32 });
    expect(r.value).toMatchObject({ address: alice.bech32 });
    expect(BigInt((r.value as { accrued: string }).accrued)).toBeGreaterThan(0n);
    const s = await prove({ stake: { delegator: alice.bech32, validator: faucet.bech32 } });
    expect(s.value).toEqual({ delegator: alice.bech32, validator: faucet.bech32, shares: expect.any(String) });
    const raw = await prove({ raw: acct.key });
    // A raw key of a named kind's record answers as that kind; any other shows its bytes.
    expect(raw).toMatchObject({ key: acct.key, valueBytes: acct.valueBytes, value: acct.value });
    const supply = await prove({ raw: toHex(utf8("bank/supply")) });
    expect(supply.value).toBe(supply.valueBytes);
    expect(supply.valueBytes).toMatch(/^[0-9a-f]+$/);
  });

  it("absent keys: no value, and a non-inclusion proof the verifier accepts", async () => {
    const absent: Record<string, unknown>[] = [
      { account: nobody.bech32 },
      { datanet: 999 },
      { contribution: 999 },
      { model: 999 },
      { inference: 999 },
      { rewards: nobody.bech32 },
      { stake: { delegator: nobody.bech32, validator: faucet.bech32 } },
      { raw: "00" },
    ];
    for (const key of absent) {
      const a = await prove(key);
      expect(a, JSON.stringify(key)).toMatchObject({ value: null, valueBytes: null });
      expect(await proofAnswerFailure(chain.rpc, a), JSON.stringify(key)).toBeUndefined();
    }
    // The answer cannot be turned into a claim of presence: the verifier refuses a value for it.
    const a = await prove({ account: nobody.bech32 });
    expect(await proofAnswerFailure(chain.rpc, { ...a, valueBytes: "00" })).toBeDefined();
  });

  it("a tampered answer is refused by the verifier: another value, another key, another root", async () => {
    const a = await prove({ account: alice.bech32 });
    expect(await proofAnswerFailure(chain.rpc, { ...a, valueBytes: `${a.valueBytes}00` })).toBeDefined();
    const other = toHex(concatBytes(utf8("bank/acct/"), faucet.address));
    expect(await proofAnswerFailure(chain.rpc, { ...a, key: other })).toBeDefined();
    expect(await proofAnswerFailure(chain.rpc, { ...a, header: { ...a.header, stateRoot: "00".repeat(32) } }))
      .toBe("the header does not hash to headerHash");
  });

  it("bad keys and heights get a clear error", async () => {
    const invalid = async (params: Record<string, unknown>, message: RegExp) => {
      const err = await failure("state_getProof", params);
      expect(err.code, JSON.stringify(params)).toBe(-32602);
      expect(err.message, JSON.stringify(params)).toMatch(message);
    };
    await invalid({}, /key must be an object naming exactly one of account, datanet/);
    await invalid({ key: {} }, /key must name exactly one of account, datanet, contribution, model/);
    await invalid({ key: { account: alice.bech32, datanet: 1 } }, /key must name exactly one of/);
    await invalid({ key: { account: "opl1nope" } }, /key\.account: address must be a bech32 address/);
    await invalid({ key: { datanet: 0 } }, /key\.datanet: datanet must be >= 1/);
    await invalid({ key: { stake: { delegator: alice.bech32 } } }, /key\.stake\.validator/);
    await invalid({ key: { params: false } }, /key\.params: params must be true/);
    await invalid({ key: { raw: "ABCD" } }, /raw must be lowercase hex of whole bytes/);
    await invalid({ key: { raw: "abc" } }, /raw must be lowercase hex of whole bytes/);
    await invalid({ key: { raw: "" } }, /raw must be lowercase hex/);
    await invalid({ key: { raw: "00".repeat(MAX_RAW_KEY_BYTES + 1) } }, new RegExp(`at most ${MAX_RAW_KEY_BYTES} bytes`));
    await invalid({ key: { wallet: alice.bech32 } }, /key kind wallet is not one of account, datanet/);
    // The longest raw key allowed is answered (absent).
    expect((await prove({ raw: "00".repeat(MAX_RAW_KEY_BYTES) })).value).toBeNull();

    // No governance change executed: the params record is proved absent (the params are genesis's).
    const params = await prove({ params: true });
    expect(params.value).toBeNull();
    expect(params.key).toBe(Buffer.from("gov/params").toString("hex"));
    const future = await failure("state_getProof", { key: { account: alice.bech32 }, height: 10 ** 9 });
    expect(reason(future)).toBe("HEIGHT_NOT_AVAILABLE");
    const genesis = await failure("state_getProof", { key: { account: alice.bech32 }, height: 0 });
    expect(reason(genesis)).toBe("PROOF_NOT_AVAILABLE");
    expect(genesis.message).toMatch(/height 0 is the genesis state, which no header carries/);
    // A past height is proved against its own header (the versioned tree keeps every retained height).
    const past = await call<ProofAnswer & { value: { balance: string } | null }>("state_getProof", {
      key: { account: alice.bech32 }, height: 1,
    });
    expect(past.height).toBe(1);
    expect(await proofAnswerFailure(chain.rpc, past)).toBeUndefined();
    const then = await call<{ balance: string } | null>("account_get", { address: alice.bech32, height: 1 });
    expect(past.value?.balance ?? "0").toBe(then?.balance); // an address never funded reads 0
  });
});

describe("light_getBlock", () => {
  it("header, commit and both validator sets, across a validator-set change", async () => {
    expect(setChangedAt).toBeGreaterThan(0);
    const before = await call<LightBlock>("light_getBlock", { height: setChangedAt });
    const after = await call<LightBlock>("light_getBlock", { height: setChangedAt + 1 });
    expect(before.validators).toHaveLength(1);
    expect(before.nextValidators).toHaveLength(2);
    expect(after.validators).toEqual(before.nextValidators);
    for (const b of [before, after]) {
      expect(headerFailure(b.header, b.headerHash, b.commit, validatorsFromJson(b.validators))).toBeUndefined();
    }
    // Signed by the set of its own height: the next height's set (alice's key never signs) does not do.
    expect(headerFailure(before.header, before.headerHash, before.commit, validatorsFromJson(before.nextValidators)))
      .toBe("the validators are not the header's");
    expect(before.validators[0]).toEqual({
      address: expect.stringMatching(/^opl1/),
      pubkey: expect.stringMatching(/^[0-9a-f]{64}$/),
      power: expect.any(Number),
    });
    const first = await call<LightBlock>("light_getBlock", { height: 1 });
    expect(headerFailure(first.header, first.headerHash, first.commit, validatorsFromJson(first.validators)))
      .toBeUndefined();
    expect(reason(await failure("light_getBlock", { height: 10 ** 9 }))).toBe("BLOCK_NOT_FOUND");
    expect((await failure("light_getBlock", { height: 0 })).message).toMatch(/height 0 is genesis/);
  });

  it("reads a header once while it is among the HEADER_CACHE_HEIGHTS most recently asked, and never its block", async () => {
    const reads = vi.spyOn(ChainDb.prototype, "getStoredHeader"); // this file runs one node
    const blockReads = vi.spyOn(ChainDb.prototype, "getBlockBytes");
    try {
      const heights = Array.from({ length: HEADER_CACHE_HEIGHTS + 1 }, (_, i) => i + 2);
      await chain.waitForHeight(heights[heights.length - 1]);
      for (const height of heights) await call("light_getBlock", { height });
      const before = reads.mock.calls.length;
      await call("light_getBlock", { height: heights[heights.length - 1] });
      expect(reads.mock.calls.length).toBe(before); // kept
      await call("light_getBlock", { height: heights[0] });
      expect(reads.mock.calls.length).toBe(before + 1); // the oldest was let go: the cache stays bounded
      // Headers are stored apart from their blocks: no block was read for them.
      expect(blockReads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      blockReads.mockRestore();
    }
  });
});

describe("prove: true on the get methods", () => {
  const cases: [string, () => Record<string, unknown>, () => Record<string, unknown>][] = [
    ["account_get", () => ({ address: alice.bech32 }), () => ({ account: alice.bech32 })],
    ["datanet_get", () => ({ id: ids.datanet }), () => ({ datanet: ids.datanet })],
    ["datanet_getContribution", () => ({ id: ids.contribution }), () => ({ contribution: ids.contribution })],
    [
      "datanet_getVersion",
      () => ({ datanetId: ids.datanet, version: 1 }),
      () => ({ datanetVersion: { datanetId: ids.datanet, version: 1 } }),
    ],
    ["model_get", () => ({ id: ids.model }), () => ({ model: ids.model })],
    ["attribution_getInference", () => ({ id: ids.inference }), () => ({ inference: ids.inference })],
    ["attribution_getRewards", () => ({ address: alice.bech32 }), () => ({ rewards: alice.bech32 })],
    [
      "attribution_getEarnings",
      () => ({ contributionId: ids.contribution }),
      () => ({ earnings: { kind: "contribution", id: ids.contribution } }),
    ],
    ["staking_getValidator", () => ({ address: faucet.bech32 }), () => ({ validator: faucet.bech32 })],
    [
      "staking_getStake",
      () => ({ delegator: alice.bech32, validator: faucet.bech32 }),
      () => ({ stake: { delegator: alice.bech32, validator: faucet.bech32 } }),
    ],
  ];
  for (const [name, params, key] of cases) {
    it(`${name}: the proof of the same key at the height it answered from`, async () => {
      const plain = await call(name, params());
      expect(plain.proof).toBeUndefined();
      type Answer = { height: number; queriedHeight?: number; proof: ProofAnswer };
      const r = await call<Answer>(name, { ...params(), prove: true });
      // datanet_getVersion's height is the version's publish height; it answered from queriedHeight.
      expect(r.proof.height).toBe(r.queriedHeight ?? r.height);
      expect(r.proof.key).toBe((await prove(key())).key);
      expect(r.proof.valueBytes).not.toBeNull();
      expect(await proofAnswerFailure(chain.rpc, r.proof)).toBeUndefined();
    });
  }

  it("at a past height the proof is of that height; prove must be a boolean; getStake proves one validator", async () => {
    const past = await call<{ height: number; proof: ProofAnswer }>("account_get", {
      address: alice.bech32, height: 1, prove: true,
    });
    expect(past.proof.height).toBe(1);
    expect(await proofAnswerFailure(chain.rpc, past.proof)).toBeUndefined();
    expect((await failure("account_get", { address: alice.bech32, prove: "yes" })).message)
      .toMatch(/prove must be true or false/);
    expect((await failure("staking_getStake", { delegator: alice.bech32, prove: true })).message)
      .toMatch(/prove: true needs validator/);
  });
});

describe("datanet_proveMembership", () => {
  it("chains to a signed header: the version record's state proof holds the membership proof's root", async () => {
    const m = await call<{
      contentHash: string;
      index: number;
      count: number;
      root: string;
      proof: string[];
      versionProof: ProofAnswer;
      contributionProof: ProofAnswer;
      clientChecks: string[];
      verified?: unknown;
    }>("datanet_proveMembership", { datanetId: ids.datanet, version: 1, contributionId: ids.contribution });
    expect(m.verified).toBeUndefined();
    expect(m.clientChecks.length).toBeGreaterThan(0);
    expect(await proofAnswerFailure(chain.rpc, m.versionProof)).toBeUndefined();
    expect(m.versionProof.value).toMatchObject({ datanetId: ids.datanet, version: 1, root: m.root, count: m.count });
    expect(await proofAnswerFailure(chain.rpc, m.contributionProof)).toBeUndefined();
    expect(m.contributionProof.value).toMatchObject({
      id: ids.contribution,
      datanetId: ids.datanet,
      contentHash: m.contentHash,
      acceptIndex: m.index,
    });
    const ok = verifyMerkleProof(
      Buffer.from(m.contentHash, "hex"),
      m.index,
      m.count,
      m.proof.map((p) => Buffer.from(p, "hex")),
      Buffer.from(m.root, "hex"),
    );
    expect(ok).toBe(true);
  });
});
