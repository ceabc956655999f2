import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../../crypto/address.ts";
import { toHex, utf8 } from "../../../crypto/bytes.ts";
import { sha256 } from "../../../crypto/hash.ts";
import type {
  DatanetMsg,
  DatanetVersionRef,
  ModelMsg,
  PublishModelVersionMsg,
  RegisterModelMsg,
  SetModelOperatorsMsg,
} from "../../../proto/module-msgs.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { type TxErrorCode, TxError } from "../../../state/errors.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../../state/keys.ts";
import { setAccount } from "../../../state/modules/bank/bank.ts";
import * as datanets from "../../../state/modules/datanets/datanets.ts";
import {
  apply,
  check,
  getModel,
  getModelVersion,
  adapterDepth,
  isOperator,
  MAX_ADAPTER_DEPTH,
  spend,
  trainedOnOf,
} from "../../../state/modules/models/models.ts";
import { DEFAULT_PARAMS } from "../../../state/params.ts";
import { MemoryState, testContext } from "../../helpers/memory-state.ts";

const P = DEFAULT_PARAMS.models;
const addr = (n: number) => new Uint8Array(20).fill(n);
const OWNER = addr(1);
const OTHER = addr(2);
const OP1 = addr(3);
const OP2 = addr(4);
const hash = (n: number) => sha256(Uint8Array.of(n));
const ref = (datanetId: number, version: number): DatanetVersionRef => ({ datanetId, version });

function registerMsg(overrides: Partial<RegisterModelMsg> = {}): RegisterModelMsg {
  return {
    type: "register_model",
    name: "open-med-7b",
    kind: "model",
    parentId: 0,
    baseModel: "llama-3-8b",
    weightsHash: hash(100),
    uri: "ipfs://weights",
    trainedOn: [ref(2, 1), ref(1, 1)],
    price: 5000n,
    ...overrides,
  };
}

function adapterMsg(parentId: number, overrides: Partial<RegisterModelMsg> = {}): RegisterModelMsg {
  return registerMsg({ name: "adapter", kind: "adapter", parentId, baseModel: "", trainedOn: [], ...overrides });
}

function publishMsg(modelId: number, trainedOn: DatanetVersionRef[]): PublishModelVersionMsg {
  return { type: "publish_model_version", modelId, weightsHash: hash(101), uri: "ipfs://weights-2", trainedOn };
}

function operatorsMsg(modelId: number, add: Uint8Array[], remove: Uint8Array[] = []): SetModelOperatorsMsg {
  return { type: "set_model_operators", modelId, add, remove };
}

/**
 * A state with published datanet versions to train on: datanet 1 has versions 1 and 2, datanet 2 has
 * version 1, datanet 3 has none. Messages then run one per block.
 */
function setup() {
  const state = new MemoryState();
  let height = 1;
  const curate = (msg: DatanetMsg) =>
    state.run((view) => datanets.apply(view, OWNER, msg, testContext(height++)));
  state.run((view) => setAccount(view, OWNER, { nonce: 0, balance: 10n ** 18n }));
  for (let d = 1; d <= 3; d++) {
    curate({
      type: "create_datanet",
      name: `dn-${d}`,
      description: "",
      license: "",
      curators: [],
      contributionStake: 0n,
      reviewFee: 0n,
      allowListed: false,
      contributors: [],
    });
  }
  let nextContribution = 1;
  const publish = (datanetId: number) => {
    const id = nextContribution++;
    curate({ type: "contribute", datanetId, contentHash: hash(id), uri: "ipfs://x", sizeBytes: 1, metadata: "" });
    curate({ type: "review_contribution", contributionId: id, accept: true });
    curate({ type: "publish_version", datanetId });
  };
  publish(1);
  publish(1);
  publish(2);
  const run = (sender: Uint8Array, msg: ModelMsg, params = DEFAULT_PARAMS): TxEvent[] => {
    check(msg, params);
    return state.run((view) => apply(view, sender, msg, testContext(height++, { params })));
  };
  return { state, run, height: () => height };
}

function expectRefused(fn: () => unknown, code: TxErrorCode, message?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(TxError);
  expect((thrown as TxError).code).toBe(code);
  if (message !== undefined) expect((thrown as TxError).message).toMatch(message);
}

function attrs(e: TxEvent): Record<string, string> {
  return Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
}

const present = (state: MemoryState, key: Uint8Array) => state.get(key) !== undefined;

describe("register_model", () => {
  it("stores the model with sorted lineage, its first version and its indexes", () => {
    const t = setup();
    const height = t.height();
    const [ev] = t.run(OWNER, registerMsg());
    expect(ev.type).toBe("register_model");
    expect(attrs(ev)).toMatchObject({
      id: "1",
      owner: encodeAddress(OWNER),
      kind: "model",
      base_model: "llama-3-8b",
      weights_hash: toHex(hash(100)),
      price: "5000",
    });
    const m = getModel(t.state, 1)!;
    expect(m).toMatchObject({
      id: 1,
      name: "open-med-7b",
      kind: "model",
      parentId: 0,
      baseModel: "llama-3-8b",
      uri: "ipfs://weights",
      trainedOn: [ref(1, 1), ref(2, 1)],
      price: 5000n,
      operators: [],
      retired: false,
      version: 1,
      createdHeight: height,
      updatedHeight: height,
    });
    expect(m.owner).toEqual(OWNER);
    expect(m.weightsHash).toEqual(hash(100));
    expect(getModelVersion(t.state, 1, 1)).toEqual({
      modelId: 1,
      version: 1,
      weightsHash: hash(100),
      uri: "ipfs://weights",
      trainedOn: [ref(1, 1), ref(2, 1)],
      height,
    });
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByOwner, OWNER, idKey(1)))).toBe(true);
    const base = sha256(utf8("llama-3-8b"));
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByBase, base, idKey(1)))).toBe(true);
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByDatanet, idKey(1), idKey(1)))).toBe(true);
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByDatanet, idKey(2), idKey(1)))).toBe(true);
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByDatanet, idKey(3), idKey(1)))).toBe(false);
  });

  it("numbers models from 1, indexes a datanet once however many of its versions, and no empty base", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    t.run(OTHER, registerMsg({ baseModel: "", trainedOn: [ref(1, 2), ref(1, 1)] }));
    const m = getModel(t.state, 2)!;
    expect(m.owner).toEqual(OTHER);
    expect(m.trainedOn).toEqual([ref(1, 1), ref(1, 2)]);
    expect(t.state.entries(stateKey(MODULE_PREFIX.modelsByDatanet, idKey(1))).length).toBe(2); // models 1 and 2
    expect(t.state.entries(MODULE_PREFIX.modelsByBase).length).toBe(1); // model 1's only
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByOwner, OTHER, idKey(2)))).toBe(true);
  });

  it("refuses unpublished datanet versions", () => {
    const t = setup();
    expectRefused(() => t.run(OWNER, registerMsg({ trainedOn: [ref(3, 2)] })), "NOT_FOUND", "datanet 3 has no version 2");
    expectRefused(() => t.run(OWNER, registerMsg({ trainedOn: [ref(1, 3)] })), "NOT_FOUND", "datanet 1 has no version 3");
    expectRefused(() => t.run(OWNER, registerMsg({ trainedOn: [ref(9, 1)] })), "NOT_FOUND", "datanet 9 has no version 1");
    expect(getModel(t.state, 1)).toBeUndefined();
  });

  it("refuses malformed registrations statelessly", () => {
    const c = (o: Partial<RegisterModelMsg>) => () => check(registerMsg(o), DEFAULT_PARAMS);
    expectRefused(c({ name: "" }), "INVALID_MSG", "model name must not be empty");
    expectRefused(c({ name: "n".repeat(P.maxNameBytes + 1) }), "INVALID_MSG", /model name is 129 bytes/);
    expectRefused(c({ baseModel: "b".repeat(P.maxNameBytes + 1) }), "INVALID_MSG", /base model is 129 bytes/);
    expectRefused(c({ uri: "u".repeat(P.maxUriBytes + 1) }), "INVALID_MSG", /model uri is 1025 bytes/);
    const refs = Array.from({ length: P.maxTrainedOn + 1 }, (_, i) => ref(1, i + 1));
    expectRefused(c({ trainedOn: refs }), "INVALID_MSG", /trainedOn has 33 entries/);
    expect(c({ trainedOn: refs.slice(1) })).not.toThrow();
    expectRefused(c({ trainedOn: [ref(1, 1), ref(2, 1), ref(1, 1)] }), "INVALID_MSG", "trainedOn names datanet 1 version 1 twice");
    expectRefused(c({ kind: "model", parentId: 4 }), "INVALID_MSG", /a full model has no parent/);
    expectRefused(c({ kind: "adapter", parentId: 0 }), "INVALID_MSG", "an adapter needs a parent model");
    expectRefused(c({ price: -1n }), "INVALID_MSG", /negative/);
    expect(c({ price: 0n, uri: "", trainedOn: [] })).not.toThrow();
    expect(spend(registerMsg())).toBe(0n);
  });
});

describe("adapters", () => {
  it("need an existing, live parent", () => {
    const t = setup();
    expectRefused(() => t.run(OTHER, adapterMsg(1)), "NOT_FOUND", "model 1 does not exist");
    t.run(OWNER, registerMsg());
    t.run(OWNER, { type: "retire_model", modelId: 1 });
    expectRefused(() => t.run(OTHER, adapterMsg(1)), "INVALID_STATE", "model 1 is retired");
  });

  it("inherit the parent's base model unless they name one", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    t.run(OTHER, adapterMsg(1));
    t.run(OTHER, adapterMsg(2)); // an adapter of an adapter
    t.run(OTHER, adapterMsg(1, { baseModel: "llama-3-8b-instruct" }));
    expect(getModel(t.state, 2)!).toMatchObject({ kind: "adapter", parentId: 1, baseModel: "llama-3-8b" });
    expect(getModel(t.state, 3)!.baseModel).toBe("llama-3-8b");
    expect(getModel(t.state, 4)!.baseModel).toBe("llama-3-8b-instruct");
    const base = sha256(utf8("llama-3-8b"));
    expect(t.state.entries(stateKey(MODULE_PREFIX.modelsByBase, base)).length).toBe(3);
  });

  it(`stack at most ${MAX_ADAPTER_DEPTH} deep, so a lineage walk reads at most ${MAX_ADAPTER_DEPTH + 1} models`, () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    for (let depth = 1; depth <= MAX_ADAPTER_DEPTH; depth++) {
      t.run(OTHER, adapterMsg(depth, { trainedOn: [ref(1, 2)] })); // model depth + 1, an adapter of model depth
      expect(adapterDepth(t.state, getModel(t.state, depth + 1)!)).toBe(depth);
    }
    const deepest = MAX_ADAPTER_DEPTH + 1;
    expectRefused(
      () => t.run(OTHER, adapterMsg(deepest)),
      "LIMIT_EXCEEDED",
      `model ${deepest} is already ${MAX_ADAPTER_DEPTH} adapters deep; adapters stack at most ${MAX_ADAPTER_DEPTH} deep`,
    );
    expect(getModel(t.state, deepest + 1)).toBeUndefined();
    t.run(OTHER, adapterMsg(deepest - 1)); // a sibling at the deepest level is still fine
    expect(adapterDepth(t.state, getModel(t.state, 1)!)).toBe(0);
    expect(trainedOnOf(t.state, getModel(t.state, deepest)!)).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
  });

  it("owe their ancestors' data too: trainedOnOf is the sorted, deduplicated union up the chain", () => {
    const t = setup();
    t.run(OWNER, registerMsg({ trainedOn: [ref(2, 1), ref(1, 1)] }));
    t.run(OTHER, adapterMsg(1, { trainedOn: [ref(1, 2), ref(1, 1)] }));
    t.run(OTHER, adapterMsg(2, { trainedOn: [] }));
    t.run(OWNER, registerMsg({ name: "unrelated", trainedOn: [ref(1, 2)] }));
    const lineage = (id: number) => trainedOnOf(t.state, getModel(t.state, id)!);
    expect(lineage(1)).toEqual([ref(1, 1), ref(2, 1)]);
    expect(getModel(t.state, 2)!.trainedOn).toEqual([ref(1, 1), ref(1, 2)]); // its own only
    expect(lineage(2)).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
    expect(lineage(3)).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
    expect(lineage(4)).toEqual([ref(1, 2)]);
    // A parent's later versions reach its adapters.
    t.run(OWNER, publishMsg(1, [ref(1, 2)]));
    expect(lineage(3)).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
  });
});

describe("publish_model_version", () => {
  it("refuses a version that would take the model's cumulative trainedOn past maxTrainedOn", () => {
    const t = setup();
    const params = { ...DEFAULT_PARAMS, models: { ...P, maxTrainedOn: 2 } };
    t.run(OWNER, registerMsg({ trainedOn: [ref(1, 1)] }), params);
    t.run(OWNER, publishMsg(1, [ref(1, 1), ref(1, 2)]), params); // the union is 2: at the limit
    expectRefused(
      () => t.run(OWNER, publishMsg(1, [ref(2, 1)]), params), // each version alone is within the limit
      "LIMIT_EXCEEDED",
      "model 1 would be trained on 3 datanet versions over its versions; the limit is 2",
    );
    expect(getModel(t.state, 1)!).toMatchObject({ version: 2, trainedOn: [ref(1, 1), ref(1, 2)] });
    expect(getModelVersion(t.state, 1, 3)).toBeUndefined();
    t.run(OWNER, publishMsg(1, [ref(1, 2)]), params); // naming refs it already has adds nothing
    expect(getModel(t.state, 1)!.version).toBe(3);
  });

  it("adds a version whose lineage joins the model's, and indexes the new datanets", () => {
    const t = setup();
    t.run(OWNER, registerMsg({ trainedOn: [ref(1, 1)] }));
    const height = t.height();
    const [ev] = t.run(OWNER, publishMsg(1, [ref(2, 1), ref(1, 2), ref(1, 1)]));
    expect(ev.type).toBe("publish_model_version");
    expect(attrs(ev)).toEqual({ id: "1", version: "2", weights_hash: toHex(hash(101)) });
    const m = getModel(t.state, 1)!;
    expect(m).toMatchObject({ version: 2, uri: "ipfs://weights-2", updatedHeight: height, createdHeight: height - 1 });
    expect(m.weightsHash).toEqual(hash(101));
    expect(m.trainedOn).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
    expect(getModelVersion(t.state, 1, 2)!.trainedOn).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
    expect(getModelVersion(t.state, 1, 1)!.weightsHash).toEqual(hash(100)); // the old version stays
    expect(present(t.state, stateKey(MODULE_PREFIX.modelsByDatanet, idKey(2), idKey(1)))).toBe(true);
    // Lineage never shrinks: a version trained on less keeps what the model already owes.
    t.run(OWNER, publishMsg(1, []));
    expect(getModel(t.state, 1)!.trainedOn).toEqual([ref(1, 1), ref(1, 2), ref(2, 1)]);
    expect(getModelVersion(t.state, 1, 3)!.trainedOn).toEqual([]);
  });

  it("is for the owner of a live model, trained on published versions", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    expectRefused(() => t.run(OTHER, publishMsg(1, [])), "UNAUTHORIZED", `${encodeAddress(OTHER)} is not the owner of model 1`);
    expectRefused(() => t.run(OWNER, publishMsg(2, [])), "NOT_FOUND", "model 2 does not exist");
    expectRefused(() => t.run(OWNER, publishMsg(1, [ref(2, 2)])), "NOT_FOUND", "datanet 2 has no version 2");
    t.run(OWNER, { type: "retire_model", modelId: 1 });
    expectRefused(() => t.run(OWNER, publishMsg(1, [])), "INVALID_STATE", "model 1 is retired");
    expect(getModel(t.state, 1)!.version).toBe(1);
    expectRefused(() => check(publishMsg(1, [ref(1, 1), ref(1, 1)]), DEFAULT_PARAMS), "INVALID_MSG", /twice/);
  });
});

describe("set_model_price", () => {
  it("lets the owner of a live model change the price", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    const height = t.height();
    const [ev] = t.run(OWNER, { type: "set_model_price", modelId: 1, price: 0n });
    expect(attrs(ev)).toEqual({ id: "1", price: "0" });
    expect(getModel(t.state, 1)!).toMatchObject({ price: 0n, updatedHeight: height });
    expectRefused(() => t.run(OTHER, { type: "set_model_price", modelId: 1, price: 1n }), "UNAUTHORIZED");
    expectRefused(() => t.run(OWNER, { type: "set_model_price", modelId: 5, price: 1n }), "NOT_FOUND");
    t.run(OWNER, { type: "retire_model", modelId: 1 });
    expectRefused(() => t.run(OWNER, { type: "set_model_price", modelId: 1, price: 1n }), "INVALID_STATE", "model 1 is retired");
    expectRefused(() => check({ type: "set_model_price", modelId: 1, price: -5n }, DEFAULT_PARAMS), "INVALID_MSG");
  });
});

describe("set_model_operators", () => {
  it("adds and removes operators; the owner always operates", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    const m0 = getModel(t.state, 1)!;
    expect(isOperator(m0, OWNER)).toBe(true);
    expect(isOperator(m0, OP1)).toBe(false);
    const [ev] = t.run(OWNER, operatorsMsg(1, [OP1, OP2]));
    expect(attrs(ev)).toEqual({ id: "1", added: `${encodeAddress(OP1)},${encodeAddress(OP2)}`, removed: "" });
    expect(getModel(t.state, 1)!.operators).toEqual([OP1, OP2]);
    expect(isOperator(getModel(t.state, 1)!, OP2)).toBe(true);
    const height = t.height();
    t.run(OWNER, operatorsMsg(1, [OTHER], [OP1]));
    const m = getModel(t.state, 1)!;
    expect(m.operators).toEqual([OP2, OTHER]);
    expect(m.updatedHeight).toBe(height);
    expect(isOperator(m, OP1)).toBe(false);
    expect(isOperator(m, OWNER)).toBe(true);
  });

  it("refuses removing a non-operator, re-adding one, and naming the owner", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    t.run(OWNER, operatorsMsg(1, [OP1]));
    expectRefused(() => t.run(OWNER, operatorsMsg(1, [], [OP2])), "INVALID_STATE", `${encodeAddress(OP2)} is not an operator of model 1`);
    expectRefused(() => t.run(OWNER, operatorsMsg(1, [OP1])), "INVALID_STATE", `${encodeAddress(OP1)} is already an operator of model 1`);
    expectRefused(() => t.run(OWNER, operatorsMsg(1, [OWNER])), "INVALID_STATE", /owns model 1 and always operates it/);
    expectRefused(() => t.run(OWNER, operatorsMsg(1, [], [OWNER])), "INVALID_STATE", /owns model 1/);
    expectRefused(() => t.run(OP1, operatorsMsg(1, [OP2])), "UNAUTHORIZED", `${encodeAddress(OP1)} is not the owner of model 1`);
    expectRefused(() => t.run(OWNER, operatorsMsg(2, [OP2])), "NOT_FOUND", "model 2 does not exist");
    expect(getModel(t.state, 1)!.operators).toEqual([OP1]);
  });

  it("caps the resulting list at maxOperators", () => {
    const t = setup();
    const params = { ...DEFAULT_PARAMS, models: { ...P, maxOperators: 2 } };
    t.run(OWNER, registerMsg());
    t.run(OWNER, operatorsMsg(1, [OP1, OP2]), params);
    expectRefused(
      () => t.run(OWNER, operatorsMsg(1, [OTHER]), params),
      "LIMIT_EXCEEDED",
      "model 1 would have 3 operators; the limit is 2",
    );
    t.run(OWNER, operatorsMsg(1, [OTHER], [OP1]), params); // a swap stays within the limit
    expect(getModel(t.state, 1)!.operators).toEqual([OP2, OTHER]);
  });

  it("checks the lists statelessly", () => {
    const c = (add: Uint8Array[], remove: Uint8Array[] = []) => () =>
      check(operatorsMsg(1, add, remove), DEFAULT_PARAMS);
    const many = Array.from({ length: P.maxOperators + 1 }, (_, i) => addr(i + 10));
    expectRefused(c(many), "INVALID_MSG", /operators to add has 33 entries/);
    expectRefused(c([], many), "INVALID_MSG", /operators to remove has 33 entries/);
    expectRefused(c([OP1, OP1]), "INVALID_MSG", /operators to add names an address twice/);
    expectRefused(c([], [OP1, OP1]), "INVALID_MSG", /operators to remove names an address twice/);
    expectRefused(c([OP1], [OP1]), "INVALID_MSG", `${encodeAddress(OP1)} is both added and removed`);
    expect(c(many.slice(1), many.slice(1).map((_, i) => addr(i + 100)))).not.toThrow();
  });

  it("still works on a retired model, so paid inferences can be recorded", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    t.run(OWNER, { type: "retire_model", modelId: 1 });
    t.run(OWNER, operatorsMsg(1, [OP1]));
    expect(isOperator(getModel(t.state, 1)!, OP1)).toBe(true);
  });
});

describe("retire_model", () => {
  it("is for the owner, once", () => {
    const t = setup();
    t.run(OWNER, registerMsg());
    expectRefused(() => t.run(OTHER, { type: "retire_model", modelId: 1 }), "UNAUTHORIZED");
    expectRefused(() => t.run(OWNER, { type: "retire_model", modelId: 3 }), "NOT_FOUND", "model 3 does not exist");
    const height = t.height();
    const [ev] = t.run(OWNER, { type: "retire_model", modelId: 1 });
    expect(ev).toEqual({ type: "retire_model", attributes: [{ key: "id", value: "1" }] });
    expect(getModel(t.state, 1)!).toMatchObject({ retired: true, updatedHeight: height });
    expectRefused(() => t.run(OWNER, { type: "retire_model", modelId: 1 }), "INVALID_STATE", "model 1 is retired");
  });
});
