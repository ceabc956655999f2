import { MODULE_PREFIX } from "../../keys.ts";

/** The bank module's state keys (state/keys.ts documents each prefix), for the module and its readers. */

/** Every account: `bank/acct/<address 20>`. */
export const ACCOUNT_PREFIX: Uint8Array = MODULE_PREFIX.bankAccount;
/** Built by hand, not by stateKey: every tx reads several accounts, and its rest arrays were a visible garbage share. */
export function accountKey(address: Uint8Array): Uint8Array {
  const key = new Uint8Array(ACCOUNT_PREFIX.byteLength + address.byteLength);
  key.set(ACCOUNT_PREFIX, 0);
  key.set(address, ACCOUNT_PREFIX.byteLength);
  return key;
}
