import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { LightClientError, stateKeyOf } from "../../light/index.ts";

/** The light client's state keys are the node's (state/keys.ts) for every record a proof query can name. */

const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
const id = fc.oneof(fc.nat(1000), fc.maxSafeInteger().filter((n) => n >= 0));

describe("stateKeyOf", () => {
  it("gives the node's key for accounts, rewards, stakes and records by id", () => {
    fc.assert(fc.property(address, address, id, (a, b, n) => {
      const same = (light: Uint8Array, node: Uint8Array) => expect(toHex(light)).toBe(toHex(node));
      same(stateKeyOf({ account: encodeAddress(a) }), stateKey(MODULE_PREFIX.bankAccount, a));
      same(stateKeyOf({ rewards: encodeAddress(a) }), stateKey(MODULE_PREFIX.rewards, a));
      const stake = { delegator: encodeAddress(a), validator: encodeAddress(b) };
      same(stateKeyOf({ stake }), stateKey(MODULE_PREFIX.stakingDelegation, a, b));
      same(stateKeyOf({ datanet: n }), stateKey(MODULE_PREFIX.datanet, idKey(n)));
      same(stateKeyOf({ contribution: n }), stateKey(MODULE_PREFIX.contribution, idKey(n)));
      same(stateKeyOf({ model: n }), stateKey(MODULE_PREFIX.model, idKey(n)));
      same(stateKeyOf({ inference: n }), stateKey(MODULE_PREFIX.inference, idKey(n)));
      same(stateKeyOf({ raw: toHex(a) }), a);
      same(stateKeyOf({ params: true }), MODULE_PREFIX.govParams);
    }), { numRuns: 100 });
  });

  it("refuses what does not name one record", () => {
    const bad: unknown[] = [{}, { account: "opl1xyz" }, { datanet: -1 }, { model: 1.5 }, { raw: "XY" }, { params: false }, { account: "x", model: 1 }];
    for (const q of bad) expect(() => stateKeyOf(q as never), JSON.stringify(q)).toThrow(LightClientError);
  });
});
