/** Defaults shared by `opl init`, `opl start` and the CLI client. Kept free of imports so the CLI loads fast. */
export const DEFAULT_CHAIN_ID = "opl-devnet-1";
export const DEFAULT_RPC_LISTEN = "127.0.0.1:26657";
export const DEFAULT_P2P_LISTEN = "/ip4/127.0.0.1/tcp/26656";

/** The self-stake a validator gets at genesis unless told otherwise: 1,000 OPEN (1,000,000 voting power). */
export const DEFAULT_GENESIS_SELF_STAKE = 1000n * 10n ** 18n;
