import { readU64be } from "../crypto/bytes.ts";
import { decodeValidatorSet, type Validator } from "../proto/block.ts";
import { type Genesis, genesisWrites } from "../state/genesis.ts";
import { VALIDATOR_SETS_PREFIX } from "../state/modules/staking/keys.ts";
import { keyId, type StateWrite } from "../state/view.ts";

/**
 * Every validator set the chain has had, by the height it took effect (the staking module's stk/vset/
 * entries), in memory: consensus, block sync and evidence checks ask for the set of a height many times per
 * block, and a set changes rarely. Loaded from the state at start-up and extended as blocks commit.
 */
export class ValidatorSets {
  /** Sorted by `from`, ascending. */
  private readonly sets: { from: number; validators: Validator[] }[] = [];

  /** From (key, value) pairs of the state, e.g. every latest entry. */
  static fromState(entries: Iterable<[Uint8Array, Uint8Array]>): ValidatorSets {
    const sets = new ValidatorSets();
    sets.addWrites([...entries].map(([key, value]) => ({ key, value })));
    if (sets.sets.length === 0) throw new Error("the state holds no validator set (was genesis written?)");
    return sets;
  }

  /** Takes the sets a committed block scheduled (its writes under stk/vset/). */
  addWrites(writes: readonly StateWrite[]): void {
    const prefix = VALIDATOR_SETS_PREFIX;
    for (const w of writes) {
      if (w.value === undefined || w.key.byteLength !== prefix.byteLength + 8) continue;
      if (keyId(w.key.subarray(0, prefix.byteLength)) !== keyId(prefix)) continue;
      this.add(readU64be(w.key, prefix.byteLength), decodeValidatorSet(w.value));
    }
  }

  private add(from: number, validators: Validator[]): void {
    const i = this.sets.findIndex((s) => s.from >= from);
    if (i === -1) this.sets.push({ from, validators });
    else if (this.sets[i].from === from) this.sets[i] = { from, validators };
    else this.sets.splice(i, 0, { from, validators });
  }

  private entryAt(height: number): { from: number; validators: Validator[] } {
    let lo = 0;
    let hi = this.sets.length - 1;
    // The last entry with from <= height (heights before the first set read the first).
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.sets[mid].from <= height) lo = mid;
      else hi = mid - 1;
    }
    return this.sets[lo];
  }

  /** The set that signs blocks at `height`. */
  at(height: number): Validator[] {
    return this.entryAt(height).validators;
  }

  /** The height the set in force at `height` took effect. */
  since(height: number): number {
    return this.entryAt(height).from;
  }
}

/**
 * The validator set of height 1 as a genesis makes it: what a light client trusts when it starts from a
 * genesis file (header 1 must name its hash).
 */
export function genesisValidatorSet(genesis: Genesis): Validator[] {
  // Only the operators' accounts matter (they pay the self-stakes): a genesis of a million accounts is not
  // written again to learn a set of a few validators.
  const operators = new Set(genesis.validators.map((v) => keyId(v.operator)));
  const accounts = genesis.accounts.filter((a) => operators.has(keyId(a.address)));
  const writes = genesisWrites({ ...genesis, accounts });
  return ValidatorSets.fromState(writes.map((w) => [w.key, w.value as Uint8Array])).at(1);
}
