import { equalBytes, readU64be, toHex } from "../crypto/bytes.ts";
import { type Header, validatorsHash } from "../proto/block.ts";
import { LATEST_SET_KEY as STAKING_LATEST_SET_KEY } from "../state/modules/staking/keys.ts";
import { BLOCK_STORE_REPAIR } from "../state/store/chain-db.ts";
import type { ValidatorSets } from "./validator-sets.ts";

/**
 * Why the validator sets read at start-up cannot be trusted: a record the state names is not in the
 * database (LevelDB lost it), so the node would sign and check blocks with an older set.
 */
export class ValidatorSetsDamagedError extends Error {
  override name = "ValidatorSetsDamagedError";
}

/**
 * Checks the sets from start-up's prefix pass against what point reads prove. Each value the pass found was
 * checked against the state tree, but a record the pass did NOT find is not noticed that way (a prefix scan
 * cannot ask the tree what is missing). So: the latest set the state names (stk/vset-latest, a point read
 * checked against the tree) must be among them, and the sets in force at the latest height and the next
 * must hash to what the latest header names. A set superseded before the latest height is not checked here
 * (that would cost a block read per set change).
 */
export function checkValidatorSets(
  sets: ValidatorSets,
  latestSetRecord: Uint8Array | undefined,
  header: Pick<Header, "height" | "validatorsHash" | "nextValidatorsHash"> | undefined,
): void {
  if (latestSetRecord !== undefined) {
    const from = readU64be(latestSetRecord);
    if (sets.since(from) !== from) {
      throw new ValidatorSetsDamagedError(
        `the validator set in force from height ${from} is missing from the database (the state names it as the ` +
        `latest set; the stored sets end at the one from height ${sets.since(from)}). ${BLOCK_STORE_REPAIR}`,
      );
    }
  }
  if (header === undefined) return;
  const named: [number, Uint8Array][] = [
    [header.height, header.validatorsHash],
    [header.height + 1, header.nextValidatorsHash],
  ];
  for (const [height, hash] of named) {
    const found = validatorsHash(sets.at(height));
    if (!equalBytes(found, hash)) {
      throw new ValidatorSetsDamagedError(
        `the validator set of height ${height} in the database (hash ${toHex(found)}, in force from height ` +
        `${sets.since(height)}) is not the one block ${header.height} names (${toHex(hash)}): a validator set ` +
        `record is missing or damaged. ${BLOCK_STORE_REPAIR}`,
      );
    }
  }
}

/** The state key whose value names the latest set's first height (read with a point read, tree-checked). */
export const LATEST_SET_KEY = STAKING_LATEST_SET_KEY;
