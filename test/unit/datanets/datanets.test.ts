import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../../crypto/address.ts";
import { readU64be, toHex } from "../../../crypto/bytes.ts";
import { sha256 } from "../../../crypto/hash.ts";
import { merkleProof, merkleRootOfHashes, verifyMerkleProof } from "../../../crypto/merkle.ts";
import type {
  ContributeMsg,
  CreateDatanetMsg,
  DatanetMsg,
  UpdateDatanetMsg,
} from "../../../proto/module-msgs.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { type TxErrorCode, TxError } from "../../../state/errors.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../../state/keys.ts";
import { getAccount, setAccount } from "../../../state/modules/bank/bank.ts";
import { readAmount } from "../../../state/modules/common.ts";
import {
  acceptedContributionId,
  apply,
  check,
  contributionInVersion,
  getContribution,
  getDatanet,
  getDatanetVersion,
  spend,
} from "../../../state/modules/datanets/datanets.ts";
import { DEFAULT_PARAMS } from "../../../state/params.ts";
import { Overlay } from "../../../state/view.ts";
import { MemoryState, testContext } from "../../helpers/memory-state.ts";

const P = DEFAULT_PARAMS.datanets;
const addr = (n: number) => new Uint8Array(20).fill(n);
const OWNER = addr(1);
const CURATOR = addr(2);
const ALICE = addr(3);
const BOB = addr(4);
const STRANGER = addr(5);
const FUNDED = [OWNER, CURATOR, ALICE, BOB, STRANGER];
const START = 1_000_000n;
const STAKE = 1000n;
const FEE = 300n;

function createMsg(overrides: Partial<CreateDatanetMsg> = {}): CreateDatanetMsg {
  return {
    type: "create_datanet",
    name: "medical-qa",
    description: "questions and answers",
    license: "CC-BY-4.0",
    curators: [CURATOR],
    contributionStake: STAKE,
    reviewFee: FEE,
    allowListed: false,
    contributors: [],
    ...overrides,
  };
}

function updateMsg(datanetId: number, overrides: Partial<UpdateDatanetMsg> = {}): UpdateDatanetMsg {
  const c = createMsg();
  return {
    type: "update_datanet",
    datanetId,
    description: c.description,
    license: c.license,
    curators: c.curators,
    contributionStake: c.contributionStake,
    reviewFee: c.reviewFee,
    allowListed: c.allowListed,
    contributors: c.contributors,
    ...overrides,
  };
}

function contributeMsg(datanetId: number, n: number, overrides: Partial<ContributeMsg> = {}): ContributeMsg {
  return {
    type: "contribute",
    datanetId,
    contentHash: contentHash(n),
    uri: `ipfs://item-${n}`,
    sizeBytes: 100 + n,
    metadata: `{"n":${n}}`,
    ...overrides,
  };
}

function contentHash(n: number): Uint8Array {
  return sha256(Uint8Array.of(n));
}

/** A state with every test address funded, and a runner that applies one message per block. */
function setup() {
  const state = new MemoryState();
  state.run((view) => {
    for (const a of FUNDED) setAccount(view, a, { nonce: 0, balance: START });
  });
  let height = 1;
  const run = (sender: Uint8Array, msg: DatanetMsg): TxEvent[] => {
    check(msg, DEFAULT_PARAMS);
    return state.run((view) => apply(view, sender, msg, testContext(height++)));
  };
  const balance = (a: Uint8Array) => getAccount(state, a).balance;
  const escrow = () => readAmount(state, MODULE_PREFIX.datanetEscrow);
  return { state, run, balance, escrow, height: () => height };
}

/** The TxError `fn` throws (failing the test if it throws nothing or something else). */
function txError(fn: () => unknown): TxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TxError);
    return err as TxError;
  }
  throw new Error("expected a TxError, nothing was thrown");
}

function expectRefused(fn: () => unknown, code: TxErrorCode, message?: string | RegExp): void {
  expect(fn).toThrow(TxError);
  const err = txError(fn);
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
}

function attrs(e: TxEvent): Record<string, string> {
  return Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
}

describe("create_datanet", () => {
  it("numbers datanets from 1 and stores the settings with the sender as owner", () => {
    const t = setup();
    const [ev] = t.run(OWNER, createMsg());
    t.run(ALICE, createMsg({ name: "second" }));
    expect(ev.type).toBe("create_datanet");
    expect(attrs(ev)).toMatchObject({ id: "1", owner: encodeAddress(OWNER), name: "medical-qa" });
    const d = getDatanet(t.state, 1)!;
    expect(d).toMatchObject({
      id: 1,
      name: "medical-qa",
      description: "questions and answers",
      license: "CC-BY-4.0",
      contributionStake: STAKE,
      reviewFee: FEE,
      allowListed: false,
      createdHeight: 1,
      acceptedCount: 0,
      versionCount: 0,
      contributionCount: 0,
    });
    expect(d.owner).toEqual(OWNER);
    expect(d.curators).toEqual([CURATOR]);
    expect(getDatanet(t.state, 2)!.owner).toEqual(ALICE);
    expect(getDatanet(t.state, 3)).toBeUndefined();
  });

  it("refuses malformed settings statelessly", () => {
    const c = (o: Partial<CreateDatanetMsg>) => () => check(createMsg(o), DEFAULT_PARAMS);
    expectRefused(c({ name: "" }), "INVALID_MSG", "datanet name must not be empty");
    expectRefused(c({ name: "n".repeat(P.maxNameBytes + 1) }), "INVALID_MSG", /datanet name is 129 bytes/);
    expectRefused(c({ description: "d".repeat(P.maxDescriptionBytes + 1) }), "INVALID_MSG", /description/);
    expectRefused(c({ license: "l".repeat(P.maxLicenseBytes + 1) }), "INVALID_MSG", /license/);
    const many = (n: number) => Array.from({ length: n }, (_, i) => addr(i + 10));
    expectRefused(c({ curators: many(P.maxCurators + 1) }), "INVALID_MSG", /curators has 33 entries/);
    expectRefused(c({ curators: [CURATOR, CURATOR] }), "INVALID_MSG", /curators names an address twice/);
    expectRefused(c({ contributors: many(P.maxContributors + 1) }), "INVALID_MSG", /contributors has 257/);
    expectRefused(c({ contributors: [ALICE, BOB, ALICE] }), "INVALID_MSG", /contributors names an address twice/);
    expectRefused(c({ contributionStake: 10n, reviewFee: 11n }), "INVALID_MSG", /review fee 11 is more than/);
    expect(c({ contributionStake: 10n, reviewFee: 10n })).not.toThrow();
    expect(c({ curators: many(P.maxCurators), contributionStake: 0n, reviewFee: 0n })).not.toThrow();
    expect(() => check(updateMsg(1, { reviewFee: STAKE + 1n }), DEFAULT_PARAMS)).toThrow(/review fee/);
  });
});

describe("update_datanet", () => {
  it("lets only the owner replace every setting", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    expectRefused(() => t.run(CURATOR, updateMsg(1)), "UNAUTHORIZED", `${encodeAddress(CURATOR)} is not the owner of datanet 1`);
    expectRefused(() => t.run(OWNER, updateMsg(9)), "NOT_FOUND", "datanet 9 does not exist");
    const [ev] = t.run(OWNER, updateMsg(1, {
      description: "new",
      license: "MIT",
      curators: [BOB],
      contributionStake: 50n,
      reviewFee: 5n,
      allowListed: true,
      contributors: [ALICE],
    }));
    expect(attrs(ev)).toEqual({ id: "1" });
    const d = getDatanet(t.state, 1)!;
    expect(d).toMatchObject({ name: "medical-qa", description: "new", license: "MIT", contributionStake: 50n, reviewFee: 5n });
    expect(d.allowListed).toBe(true);
    expect(d.curators).toEqual([BOB]);
    expect(d.contributors).toEqual([ALICE]);
    expect(d.owner).toEqual(OWNER);
  });

  it("leaves pending contributions with the stake they locked, and caps the fee at that stake", () => {
    const t = setup();
    t.run(OWNER, createMsg({ contributionStake: 100n, reviewFee: 10n }));
    t.run(ALICE, contributeMsg(1, 1));
    t.run(OWNER, updateMsg(1, { contributionStake: 1000n, reviewFee: 400n }));
    expect(getContribution(t.state, 1)!.stake).toBe(100n);
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: false });
    // The fee at review time is 400, but only 100 was locked: all of it goes to the reviewer.
    expect(t.balance(ALICE)).toBe(START - 100n);
    expect(t.balance(CURATOR)).toBe(START + 100n);
    expect(t.escrow()).toBe(0n);
  });
});

describe("contribute", () => {
  it("locks the datanet's stake in escrow and records a pending contribution", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    const [ev] = t.run(ALICE, contributeMsg(1, 1));
    t.run(BOB, contributeMsg(1, 2));
    expect(ev.type).toBe("contribute");
    expect(attrs(ev)).toMatchObject({
      id: "1",
      datanet: "1",
      contributor: encodeAddress(ALICE),
      content_hash: toHex(contentHash(1)),
      stake: "1000",
    });
    expect(t.balance(ALICE)).toBe(START - STAKE);
    expect(t.balance(BOB)).toBe(START - STAKE);
    expect(t.escrow()).toBe(2n * STAKE);
    const c = getContribution(t.state, 1)!;
    expect(c).toMatchObject({
      id: 1,
      datanetId: 1,
      uri: "ipfs://item-1",
      sizeBytes: 101,
      metadata: "{\"n\":1}",
      stake: STAKE,
      status: "pending",
      createdHeight: 2,
      reviewedHeight: 0,
    });
    expect(c.contributor).toEqual(ALICE);
    expect(c.contentHash).toEqual(contentHash(1));
    expect(c.reviewer.length).toBe(0);
    expect(getContribution(t.state, 2)!.contributor).toEqual(BOB);
    expect(getDatanet(t.state, 1)!.contributionCount).toBe(2);
    expect(t.state.get(stateKey(MODULE_PREFIX.contributionsByDatanet, idKey(1), idKey(2)))).toEqual(Uint8Array.of(1));
    expect(t.state.get(stateKey(MODULE_PREFIX.contributionsByContributor, ALICE, idKey(1)))).toEqual(Uint8Array.of(1));
    expect(t.state.get(stateKey(MODULE_PREFIX.contributionsByContributor, ALICE, idKey(2)))).toBeUndefined();
  });

  it("locks nothing on a datanet without a stake", () => {
    const t = setup();
    t.run(OWNER, createMsg({ contributionStake: 0n, reviewFee: 0n }));
    t.run(ALICE, contributeMsg(1, 1));
    expect(t.balance(ALICE)).toBe(START);
    expect(t.escrow()).toBe(0n);
    expect(getContribution(t.state, 1)!.stake).toBe(0n);
  });

  it("refuses a short balance with the amounts, and writes nothing", () => {
    const t = setup();
    t.run(OWNER, createMsg({ contributionStake: START + 1n }));
    const poor = addr(9);
    t.state.run((view) => setAccount(view, poor, { nonce: 3, balance: 7n }));
    expectRefused(
      () => t.run(poor, contributeMsg(1, 1)),
      "INSUFFICIENT_FUNDS",
      `${encodeAddress(poor)} has 7; contributing to datanet 1 locks a stake of ${START + 1n}`,
    );
    expect(getAccount(t.state, poor)).toEqual({ nonce: 3, balance: 7n });
    expect(getContribution(t.state, 1)).toBeUndefined();
    expect(getDatanet(t.state, 1)!.contributionCount).toBe(0);
  });

  it("keeps an allow-listed datanet to its contributors", () => {
    const t = setup();
    t.run(OWNER, createMsg({ allowListed: true, contributors: [ALICE] }));
    expectRefused(() => t.run(BOB, contributeMsg(1, 1)), "UNAUTHORIZED", `${encodeAddress(BOB)} is not on datanet 1's allow list`);
    // Not even the owner is exempt: the list is the whole rule.
    expectRefused(() => t.run(OWNER, contributeMsg(1, 1)), "UNAUTHORIZED");
    t.run(ALICE, contributeMsg(1, 1));
    expect(getContribution(t.state, 1)!.contributor).toEqual(ALICE);
  });

  it("refuses a missing datanet", () => {
    const t = setup();
    expectRefused(() => t.run(ALICE, contributeMsg(4, 1)), "NOT_FOUND", "datanet 4 does not exist");
  });

  it("checks uri and metadata statelessly", () => {
    const c = (o: Partial<ContributeMsg>) => () => check(contributeMsg(1, 1, o), DEFAULT_PARAMS);
    expectRefused(c({ uri: "" }), "INVALID_MSG", "contribution uri must not be empty");
    expectRefused(c({ uri: "u".repeat(P.maxUriBytes + 1) }), "INVALID_MSG", /uri is 1025 bytes/);
    expectRefused(c({ metadata: "{not json" }), "INVALID_MSG", "contribution metadata is not valid JSON");
    expectRefused(c({ metadata: `"${"x".repeat(P.maxMetadataBytes)}"` }), "INVALID_MSG", /metadata is 4098 bytes/);
    expect(c({ metadata: "" })).not.toThrow();
    expect(c({ metadata: "[1,\"two\",{\"three\":null}]" })).not.toThrow();
    expect(spend(contributeMsg(1, 1))).toBe(0n);
  });
});

describe("review_contribution", () => {
  function withPending() {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(ALICE, contributeMsg(1, 1));
    t.run(BOB, contributeMsg(1, 2));
    return t;
  }

  it("accept returns the whole stake and numbers the contribution in acceptance order", () => {
    const t = withPending();
    const [ev] = t.run(CURATOR, { type: "review_contribution", contributionId: 2, accept: true });
    t.run(OWNER, { type: "review_contribution", contributionId: 1, accept: true });
    expect(attrs(ev)).toEqual({
      id: "2",
      datanet: "1",
      reviewer: encodeAddress(CURATOR),
      status: "accepted",
      refund: "1000",
      fee: "0",
    });
    expect(t.balance(ALICE)).toBe(START);
    expect(t.balance(BOB)).toBe(START);
    expect(t.balance(CURATOR)).toBe(START);
    expect(t.escrow()).toBe(0n);
    const bob = getContribution(t.state, 2)!;
    expect(bob).toMatchObject({ status: "accepted", acceptIndex: 0, stake: 0n, reviewedHeight: 4 });
    expect(bob.reviewer).toEqual(CURATOR);
    expect(getContribution(t.state, 1)!).toMatchObject({ status: "accepted", acceptIndex: 1 });
    expect(getContribution(t.state, 1)!.reviewer).toEqual(OWNER);
    expect(acceptedContributionId(t.state, 1, 0)).toBe(2);
    expect(acceptedContributionId(t.state, 1, 1)).toBe(1);
    expect(acceptedContributionId(t.state, 1, 2)).toBeUndefined();
    expect(readU64be(t.state.get(stateKey(MODULE_PREFIX.acceptedContribution, idKey(1), idKey(0)))!)).toBe(2);
    expect(getDatanet(t.state, 1)!.acceptedCount).toBe(2);
  });

  it("reject returns the stake minus the review fee and pays the fee to the reviewer", () => {
    const t = withPending();
    const [ev] = t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: false });
    expect(attrs(ev)).toMatchObject({ status: "rejected", refund: "700", fee: "300" });
    expect(t.balance(ALICE)).toBe(START - FEE);
    expect(t.balance(CURATOR)).toBe(START + FEE);
    expect(t.escrow()).toBe(STAKE); // Bob's, still pending
    const c = getContribution(t.state, 1)!;
    expect(c).toMatchObject({ status: "rejected", stake: 0n, reviewedHeight: 4 });
    expect(c.reviewer).toEqual(CURATOR);
    expect(getDatanet(t.state, 1)!.acceptedCount).toBe(0);
    expect(acceptedContributionId(t.state, 1, 0)).toBeUndefined();
  });

  it("gives a curator who rejects their own contribution the fee back: it nets to zero", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(CURATOR, contributeMsg(1, 1));
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: false });
    expect(t.balance(CURATOR)).toBe(START);
    expect(t.escrow()).toBe(0n);
  });

  it("refuses outsiders, missing contributions and second reviews", () => {
    const t = withPending();
    expectRefused(
      () => t.run(STRANGER, { type: "review_contribution", contributionId: 1, accept: true }),
      "UNAUTHORIZED",
      `${encodeAddress(STRANGER)} is not a curator of datanet 1`,
    );
    expectRefused(
      () => t.run(CURATOR, { type: "review_contribution", contributionId: 7, accept: true }),
      "NOT_FOUND",
      "contribution 7 does not exist",
    );
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: true });
    t.run(CURATOR, { type: "review_contribution", contributionId: 2, accept: false });
    expectRefused(
      () => t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: false }),
      "INVALID_STATE",
      "contribution 1 was already reviewed (accepted)",
    );
    expectRefused(
      () => t.run(OWNER, { type: "review_contribution", contributionId: 2, accept: true }),
      "INVALID_STATE",
      "contribution 2 was already reviewed (rejected)",
    );
    expect(t.balance(ALICE)).toBe(START);
    expect(t.balance(BOB)).toBe(START - FEE);
  });
});

describe("slash_contribution", () => {
  it("slashes an accepted contribution: its stake goes from the contributor to the treasury", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(ALICE, contributeMsg(1, 1));
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: true });
    const before = FUNDED.map(t.balance);
    const [ev] = t.run(OWNER, { type: "slash_contribution", contributionId: 1, reason: "copied from a paid corpus" });
    expect(ev.type).toBe("slash_contribution");
    expect(attrs(ev)).toEqual({
      id: "1",
      datanet: "1",
      slasher: encodeAddress(OWNER),
      reason: "copied from a paid corpus",
      contributor: encodeAddress(ALICE),
      amount: String(STAKE),
    });
    expect(getContribution(t.state, 1)).toMatchObject({ status: "slashed", acceptIndex: 0, slashedAmount: STAKE });
    // The stake came back at acceptance; the slash charges it again, to the treasury.
    expect(FUNDED.map(t.balance)).toEqual(FUNDED.map((a, i) => (a === ALICE ? before[i] - STAKE : before[i])));
    expect(readAmount(t.state, MODULE_PREFIX.treasury)).toBe(STAKE);
    expect(t.escrow()).toBe(0n);
  });

  it("a slash takes no more than the contributor has", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(ALICE, contributeMsg(1, 1));
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: true });
    t.state.run((view) => setAccount(view, ALICE, { ...getAccount(view, ALICE), balance: STAKE / 4n }));
    t.run(OWNER, { type: "slash_contribution", contributionId: 1, reason: "spam" });
    expect(t.balance(ALICE)).toBe(0n);
    expect(getContribution(t.state, 1)?.slashedAmount).toBe(STAKE / 4n);
    expect(readAmount(t.state, MODULE_PREFIX.treasury)).toBe(STAKE / 4n);
  });

  it("refuses what is not accepted, outsiders and missing contributions", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(ALICE, contributeMsg(1, 1));
    t.run(ALICE, contributeMsg(1, 2));
    const slash = (id: number) => ({ type: "slash_contribution" as const, contributionId: id, reason: "" });
    expectRefused(() => t.run(CURATOR, slash(1)), "INVALID_STATE", "contribution 1 is pending; only an accepted contribution can be slashed");
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: true });
    t.run(CURATOR, { type: "review_contribution", contributionId: 2, accept: false });
    expectRefused(() => t.run(CURATOR, slash(2)), "INVALID_STATE", /contribution 2 is rejected/);
    expectRefused(() => t.run(ALICE, slash(1)), "UNAUTHORIZED", `${encodeAddress(ALICE)} is not a curator of datanet 1`);
    expectRefused(() => t.run(CURATOR, slash(3)), "NOT_FOUND", "contribution 3 does not exist");
    t.run(CURATOR, slash(1));
    expectRefused(() => t.run(CURATOR, slash(1)), "INVALID_STATE", /contribution 1 is slashed/);
    expectRefused(
      () => check({ type: "slash_contribution", contributionId: 1, reason: "r".repeat(P.maxDescriptionBytes + 1) }, DEFAULT_PARAMS),
      "INVALID_MSG",
      /slash reason/,
    );
  });
});

describe("publish_version", () => {
  /** A datanet with `n` contributions by Alice, the ones at `accepted` positions accepted, in that order. */
  function withAccepted(n: number, accepted: number[]) {
    const t = setup();
    t.run(OWNER, createMsg());
    for (let i = 1; i <= n; i++) t.run(ALICE, contributeMsg(1, i));
    for (const id of accepted) t.run(CURATOR, { type: "review_contribution", contributionId: id, accept: true });
    return t;
  }

  it("publishes the Merkle root of the accepted content hashes, in acceptance order", () => {
    const t = withAccepted(4, [3, 1, 4]);
    t.run(CURATOR, { type: "review_contribution", contributionId: 2, accept: false });
    const height = t.height();
    const [ev] = t.run(CURATOR, { type: "publish_version", datanetId: 1 });
    const leaves = [contentHash(3), contentHash(1), contentHash(4)];
    const root = merkleRootOfHashes(leaves);
    expect(ev.type).toBe("publish_version");
    expect(attrs(ev)).toEqual({ datanet: "1", version: "1", root: toHex(root), count: "3" });
    const v = getDatanetVersion(t.state, 1, 1)!;
    expect(v).toEqual({ datanetId: 1, version: 1, root, count: 3, height });
    expect(getDatanet(t.state, 1)!.versionCount).toBe(1);
    // Anyone holding the version can check an item's membership against its root alone.
    leaves.forEach((leaf, i) => {
      expect(verifyMerkleProof(leaf, i, v.count, merkleProof(leaves, i), v.root)).toBe(true);
    });
    expect(verifyMerkleProof(contentHash(2), 1, v.count, merkleProof(leaves, 1), v.root)).toBe(false);
  });

  it("refuses to publish nothing new, then publishes a larger version leaving the old one as it was", () => {
    const t = withAccepted(3, []);
    const publish = { type: "publish_version" as const, datanetId: 1 };
    expectRefused(() => t.run(OWNER, publish), "INVALID_STATE", /datanet 1 has nothing new to publish/);
    t.run(CURATOR, { type: "review_contribution", contributionId: 1, accept: true });
    t.run(OWNER, publish);
    expectRefused(
      () => t.run(OWNER, publish),
      "INVALID_STATE",
      "datanet 1 has nothing new to publish: version 1 already holds all 1 accepted contributions",
    );
    // A rejection adds nothing to publish either.
    t.run(CURATOR, { type: "review_contribution", contributionId: 2, accept: false });
    expectRefused(() => t.run(OWNER, publish), "INVALID_STATE");
    t.run(CURATOR, { type: "review_contribution", contributionId: 3, accept: true });
    const [ev] = t.run(OWNER, publish);
    expect(attrs(ev)).toMatchObject({ version: "2", count: "2" });
    expect(getDatanetVersion(t.state, 1, 1)!.root).toEqual(contentHash(1)); // one leaf: the root is the leaf
    expect(getDatanetVersion(t.state, 1, 2)!.root).toEqual(merkleRootOfHashes([contentHash(1), contentHash(3)]));
    expect(getDatanetVersion(t.state, 1, 3)).toBeUndefined();
  });

  it("keeps a slashed contribution in the roots: versions are immutable", () => {
    const t = withAccepted(2, [1, 2]);
    t.run(CURATOR, { type: "slash_contribution", contributionId: 1, reason: "spam" });
    t.run(CURATOR, { type: "publish_version", datanetId: 1 });
    expect(getDatanetVersion(t.state, 1, 1)!.root).toEqual(merkleRootOfHashes([contentHash(1), contentHash(2)]));
  });

  it("roots every version exactly as merkleRootOfHashes over the accepted hashes, for 1..300 leaves", () => {
    // Random content (duplicates allowed), random rejections in between, versions published at random points.
    const item = fc.record({
      hash: fc.uint8Array({ minLength: 32, maxLength: 32 }), accept: fc.boolean(), publish: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 300, size: "max" }), (items) => {
        const state = new MemoryState();
        const accepted: Uint8Array[] = [];
        const published: number[] = []; // each version's count
        state.run((view) => {
          const ctx = testContext(1);
          apply(view, OWNER, createMsg({ contributionStake: 0n, reviewFee: 0n }), ctx);
          items.forEach((it, i) => {
            apply(view, ALICE, contributeMsg(1, i, { contentHash: it.hash }), ctx);
            apply(view, CURATOR, { type: "review_contribution", contributionId: i + 1, accept: it.accept }, ctx);
            if (it.accept) accepted.push(it.hash);
            if (it.accept && (it.publish || i === items.length - 1)) {
              apply(view, CURATOR, { type: "publish_version", datanetId: 1 }, ctx);
              published.push(accepted.length);
            }
          });
        });
        published.forEach((count, k) => {
          const v = getDatanetVersion(state, 1, k + 1)!;
          const leaves = accepted.slice(0, count);
          expect(v.count).toBe(count);
          expect(toHex(v.root)).toBe(toHex(merkleRootOfHashes(leaves)));
          // earlier versions stay provable after later acceptances: first, last and a middle leaf
          for (const i of new Set([0, count >> 1, count - 1])) {
            expect(verifyMerkleProof(leaves[i], i, count, merkleProof(leaves, i), v.root)).toBe(true);
          }
        });
        // the leaves as state holds them (acceptance order) are the ones the roots were taken over
        const last = published[published.length - 1] ?? 0;
        for (let i = 0; i < last; i++) {
          expect(getContribution(state, acceptedContributionId(state, 1, i)!)!.contentHash).toEqual(accepted[i]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("publishes in a few reads whatever the number of accepted contributions (no rereading of items)", () => {
    const t = setup();
    const n = 1000;
    t.state.run((view) => {
      const ctx = testContext(1);
      apply(view, OWNER, createMsg({ contributionStake: 0n, reviewFee: 0n }), ctx);
      for (let i = 1; i <= n; i++) {
        apply(view, ALICE, contributeMsg(1, i, { contentHash: sha256(idKey(i)) }), ctx);
        apply(view, CURATOR, { type: "review_contribution", contributionId: i, accept: true }, ctx);
      }
    });
    let reads = 0;
    const counting = { get: (key: Uint8Array) => (reads++, t.state.get(key)) };
    const view = new Overlay(counting);
    apply(view, CURATOR, { type: "publish_version", datanetId: 1 }, testContext(2));
    expect(reads).toBeLessThan(10); // the datanet, the previous version, the frontier (was 2n: every item)
    t.state.apply(view.sortedWrites());
    const leaves = Array.from({ length: n }, (_, i) => sha256(idKey(i + 1)));
    expect(getDatanetVersion(t.state, 1, 1)!.root).toEqual(merkleRootOfHashes(leaves));
    // An acceptance costs a few reads too: the frontier grows by O(log n) hashes, not by rereading.
    reads = 0;
    const next = new Overlay(counting);
    apply(next, ALICE, contributeMsg(1, n + 1), testContext(3));
    apply(next, CURATOR, { type: "review_contribution", contributionId: n + 1, accept: true }, testContext(3));
    expect(reads).toBeLessThan(20);
  });

  it("refuses outsiders and missing datanets", () => {
    const t = withAccepted(1, [1]);
    expectRefused(
      () => t.run(ALICE, { type: "publish_version", datanetId: 1 }),
      "UNAUTHORIZED",
      `${encodeAddress(ALICE)} is not a curator of datanet 1`,
    );
    expectRefused(() => t.run(OWNER, { type: "publish_version", datanetId: 2 }), "NOT_FOUND", "datanet 2 does not exist");
  });
});

describe("contributionInVersion", () => {
  it("holds for what was accepted before the version, slashed or not, on that datanet only", () => {
    const t = setup();
    t.run(OWNER, createMsg());
    t.run(OWNER, createMsg({ name: "other" }));
    for (let i = 1; i <= 5; i++) t.run(ALICE, contributeMsg(1, i));
    t.run(ALICE, contributeMsg(2, 6));
    const review = (id: number, accept: boolean) =>
      t.run(OWNER, { type: "review_contribution", contributionId: id, accept });
    review(1, true);
    review(2, true);
    review(3, false);
    review(6, true);
    t.run(OWNER, { type: "publish_version", datanetId: 1 });
    t.run(OWNER, { type: "publish_version", datanetId: 2 });
    review(4, true);
    t.run(OWNER, { type: "slash_contribution", contributionId: 2, reason: "" });
    t.run(OWNER, { type: "publish_version", datanetId: 1 });
    const v1 = getDatanetVersion(t.state, 1, 1)!;
    const v2 = getDatanetVersion(t.state, 1, 2)!;
    const other = getDatanetVersion(t.state, 2, 1)!;
    const c = (id: number) => getContribution(t.state, id)!;
    const ids = [1, 2, 3, 4, 5, 6];
    expect(ids.map((id) => contributionInVersion(c(id), v1))).toEqual([true, true, false, false, false, false]);
    expect(ids.map((id) => contributionInVersion(c(id), v2))).toEqual([true, true, false, true, false, false]);
    expect(contributionInVersion(c(6), other)).toBe(true);
    expect(contributionInVersion(c(1), other)).toBe(false); // acceptIndex 0 < 1, but another datanet
  });
});

describe("funds", () => {
  it("conserves balances plus escrow over any sequence of contributions and reviews", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.nat({ max: 4 }), review: fc.constantFrom("accept", "reject", "none") }), {
          maxLength: 12,
        }),
        fc.bigInt({ min: 0n, max: 5000n }),
        fc.bigInt({ min: 0n, max: 5000n }),
        (steps, a, b) => {
          const [stake, fee] = a >= b ? [a, b] : [b, a];
          const t = setup();
          t.run(OWNER, createMsg({ contributionStake: stake, reviewFee: fee }));
          const total = () => FUNDED.reduce((sum, x) => sum + t.balance(x), 0n) + t.escrow();
          const initial = total();
          let pending = 0n;
          steps.forEach((s, i) => {
            t.run(FUNDED[s.who], contributeMsg(1, i));
            if (s.review === "none") pending += stake;
            else t.run(CURATOR, { type: "review_contribution", contributionId: i + 1, accept: s.review === "accept" });
            expect(total()).toBe(initial);
          });
          expect(t.escrow()).toBe(pending);
        },
      ),
      { numRuns: 50 },
    );
  });
});
