import { toHex } from "../../crypto/bytes.ts";
import { BLOCK_STORE_REPAIR } from "./checked-reads.ts";

/**
 * A latest value read from the database is not the one the state tree holds (a flipped bit on disk, a lost
 * record): the node must not execute or answer on it. Its message says what is wrong and what to do. Apart
 * from state/store/latest-values.ts so that what only names the error (rpc/errors.ts, and through it the
 * command line) does not load the database.
 */
export class StateValueDamagedError extends Error {
  override name = "StateValueDamagedError";
}

export function stateValueDamaged(key: Uint8Array, why: string): StateValueDamagedError {
  return new StateValueDamagedError(
    `the state value at key ${toHex(key)} in the database ${why}: a state value is damaged, and executing on it ` +
    `would fork the chain. ${BLOCK_STORE_REPAIR}`,
  );
}
