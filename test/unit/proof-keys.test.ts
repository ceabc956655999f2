import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { getEarnings, getInference, getRewards } from "../../state/modules/attribution/attribution.ts";
import { encodeParams } from "../../state/modules/gov/params-store.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { getContribution, getDatanet, getDatanetVersion } from "../../state/modules/datanets/datanets.ts";
import { getModel } from "../../state/modules/models/models.ts";
import { getShares, getValidator } from "../../state/modules/staking/staking.ts";
import type { StateReader } from "../../state/view.ts";
import { type ProvableKey, provableKeySchema, resolveProvableKey } from "../../rpc/proof-keys.ts";

/**
 * A state_getProof key must name exactly the state key the module's own getter reads for that record:
 * otherwise a proof would be of another key than the one the get method answers from.
 */

/** The keys a getter reads (from a state where nothing is present). */
function keysRead(getter: (view: StateReader) => unknown): string[] {
  const keys: string[] = [];
  getter({ get: (k) => void keys.push(toHex(k)) });
  return keys;
}

const a = new Uint8Array(20).fill(7);
const b = new Uint8Array(20).fill(9);
const [A, B] = [encodeAddress(a), encodeAddress(b)];

const cases: [ProvableKey, (view: StateReader) => unknown][] = [
  [{ account: A }, (v) => getAccount(v, a)],
  [{ datanet: 3 }, (v) => getDatanet(v, 3)],
  [{ contribution: 4 }, (v) => getContribution(v, 4)],
  [{ model: 5 }, (v) => getModel(v, 5)],
  [{ inference: 6 }, (v) => getInference(v, 6)],
  [{ rewards: A }, (v) => getRewards(v, a)],
  [{ stake: { delegator: A, validator: B } }, (v) => getShares(v, a, b)],
  [{ validator: B }, (v) => getValidator(v, b)],
  [{ datanetVersion: { datanetId: 3, version: 2 } }, (v) => getDatanetVersion(v, 3, 2)],
  [{ earnings: { kind: "datanet", id: 3 } }, (v) => getEarnings(v, "datanet", 3)],
];

describe("state_getProof keys", () => {
  it("each kind names the one key its module's getter reads", () => {
    for (const [key, getter] of cases) {
      const parsed = provableKeySchema.parse(key);
      expect([toHex(resolveProvableKey(parsed).stateKey)], JSON.stringify(key)).toEqual(keysRead(getter));
    }
  });

  it("distinct records have distinct keys (no two kinds share a key shape)", () => {
    const keys = cases.map(([key]) => toHex(resolveProvableKey(provableKeySchema.parse(key)).stateKey));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a raw key of a named kind's record resolves to that same key (the integration test compares the values)", () => {
    for (const [key] of cases) {
      const named = resolveProvableKey(provableKeySchema.parse(key));
      const raw = resolveProvableKey(provableKeySchema.parse({ raw: toHex(named.stateKey) }));
      expect(toHex(raw.stateKey)).toBe(toHex(named.stateKey));
    }
  });

  it("any other raw key is taken as given and shown as hex; an id 0 is not a named record", () => {
    expect(toHex(resolveProvableKey({ raw: "0a0b" }).stateKey)).toBe("0a0b");
    expect(resolveProvableKey({ raw: "0a0b" }).decode(Uint8Array.of(1, 2), undefined as never, 1)).toBe("0102");
    const datanetZero = toHex(new TextEncoder().encode("dn/net/")) + "00".repeat(8);
    expect(resolveProvableKey({ raw: datanetZero }).decode(Uint8Array.of(1), undefined as never, 1)).toBe("01");
  });

  it("params names the governance params record; its value is shown as the params (absent: genesis's)", () => {
    const resolved = resolveProvableKey({ params: true });
    expect(toHex(resolved.stateKey)).toBe(toHex(new TextEncoder().encode("gov/params")));
    const changed = { ...DEFAULT_PARAMS, minFee: 7n };
    const shown = resolved.proven(encodeParams(changed)) as { minFee: string; gov: { quorumPpm: number } };
    expect(shown.minFee).toBe("7");
    expect(shown.gov.quorumPpm).toBe(DEFAULT_PARAMS.gov.quorumPpm);
  });
});
