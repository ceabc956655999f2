import type protobuf from "protobufjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeTxBody } from "../../proto/tx.ts";
import { MAX_TX_LIST_ITEMS, TX_BODY_LISTS } from "../../proto/tx-lists.ts";
import { pb } from "../../proto/schema.ts";
import { MAX_MULTI_SEND_OUTPUTS } from "../../state/modules/bank/multi-send.ts";
import { MAX_PARAM_CHANGES, MAX_VOTE_VALIDATORS } from "../../state/modules/gov/gov.ts";
import { paramsFromJson } from "../../state/params-check.ts";
import { varint } from "../helpers/wire-bytes.ts";

/**
 * A tx's message lists are counted on the wire before protobufjs decodes it (proto/tx-lists.ts): a 16 KiB
 * create_datanet of 8,000 empty curators decoded canonically in 1-2.5 ms, each, before the module refused it.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

/** A TxBody whose create_datanet message holds `n` empty curators (field 4 of MsgCreateDatanet). */
function createDatanetWithCurators(n: number): Uint8Array {
  const inner = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) inner.set([0x22, 0x00], 2 * i);
  const id = pb.TxBody.fields.createDatanet.id;
  return Uint8Array.from([...varint((id << 3) | 2), ...varint(inner.byteLength), ...inner]);
}

describe("a tx's message lists", () => {
  it("are refused past MAX_TX_LIST_ITEMS before protobufjs decodes the body", () => {
    const decode = vi.spyOn(pb.TxBody, "decode");
    expect(() => decodeTxBody(createDatanetWithCurators(8000))).toThrow(
      `MsgCreateDatanet.curators holds more than ${MAX_TX_LIST_ITEMS}`,
    );
    expect(decode).not.toHaveBeenCalled();
    // At the cap the body is read (and then refused for what it lacks, as any body without a chain id is).
    expect(() => decodeTxBody(createDatanetWithCurators(MAX_TX_LIST_ITEMS))).not.toThrow(/holds more than/);
    expect(decode).toHaveBeenCalledTimes(1);
  });

  it("every list a TxBody can hold has a cap, at least the modules' own fixed limits", () => {
    const lists: string[] = [];
    const seen = new Set<string>();
    const walk = (t: protobuf.Type) => {
      if (seen.has(t.name)) return;
      seen.add(t.name);
      for (const f of t.fieldsArray) {
        if (f.repeated) lists.push(`${t.name}.${f.name}`);
        if (f.resolvedType !== null && "fieldsById" in f.resolvedType) walk(f.resolvedType);
      }
    };
    walk(pb.TxBody);
    expect(Object.keys(TX_BODY_LISTS).sort()).toEqual(lists.sort());
    for (const fixed of [MAX_MULTI_SEND_OUTPUTS, MAX_PARAM_CHANGES, MAX_VOTE_VALIDATORS]) {
      expect(fixed).toBeLessThanOrEqual(MAX_TX_LIST_ITEMS);
    }
  });

  it("no chain params may allow a list longer than the cap", () => {
    expect(() => paramsFromJson({ datanets: { maxContributors: MAX_TX_LIST_ITEMS } })).not.toThrow();
    for (const [module, key] of [
      ["datanets", "maxCurators"],
      ["datanets", "maxContributors"],
      ["models", "maxTrainedOn"],
      ["models", "maxOperators"],
      ["attribution", "maxWeights"],
    ]) {
      expect(() => paramsFromJson({ [module]: { [key]: MAX_TX_LIST_ITEMS + 1 } }), key).toThrow(
        `params.${module}.${key} must be at most ${MAX_TX_LIST_ITEMS}`,
      );
    }
  });
});
