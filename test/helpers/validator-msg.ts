import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import type { CreateValidatorMsg } from "../../proto/module-msgs.ts";
import { possessionSignBytes } from "../../state/modules/staking/staking.ts";

/**
 * A create_validator for `operator`, with its consensus key's proof of possession. The key is `key` (e.g. a
 * node's validator key) or a fresh one nobody runs.
 */
export function createValidatorMsg(opts: {
  chainId: string;
  operator: Uint8Array;
  moniker: string;
  selfStake: bigint;
  key?: { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array };
}): CreateValidatorMsg {
  const secret = generateSecretKey();
  const key = opts.key ?? { publicKey: publicKeyOf(secret), sign: (m: Uint8Array) => signPortable(m, secret) };
  return {
    type: "create_validator",
    consensusPubkey: key.publicKey,
    moniker: opts.moniker,
    selfStake: opts.selfStake,
    consensusSignature: key.sign(possessionSignBytes(opts.chainId, opts.operator)),
  };
}
