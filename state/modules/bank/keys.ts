import { MODULE_PREFIX, stateKey } from "../../keys.ts";

/** The bank module's state keys (state/keys.ts documents each prefix), for the module and its readers. */

/** Every account: `bank/acct/<address 20>`. */
export const ACCOUNT_PREFIX: Uint8Array = MODULE_PREFIX.bankAccount;
export const accountKey = (address: Uint8Array): Uint8Array => stateKey(ACCOUNT_PREFIX, address);
