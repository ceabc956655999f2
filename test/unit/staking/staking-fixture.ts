import { addressFromPublicKey } from "../../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../../crypto/ed25519.ts";
import { encodeAmount } from "../../../proto/codec.ts";
import { decodeAccount } from "../../../proto/records.ts";
import type { ModuleMsg } from "../../../proto/module-msgs.ts";
import { TxError, type TxErrorCode } from "../../../state/errors.ts";
import type { BlockContext } from "../../../state/block-context.ts";
import { MODULE_PREFIX } from "../../../state/keys.ts";
import { setAccount } from "../../../state/modules/bank/bank.ts";
import { apply, possessionSignBytes } from "../../../state/modules/staking/staking.ts";
import { stakingModule } from "../../../state/modules/staking/module.ts";
import { DEFAULT_PARAMS, type ChainParams } from "../../../state/params.ts";
import { MemoryState, testContext } from "../../helpers/memory-state.ts";

/** Parties, a funded state and short periods for the staking module's unit tests. */
export const OPEN = 10n ** 18n;
/** The module's end of block: unbondings complete, then the validator set of height + 2 is scheduled. */
export const endBlock = stakingModule.endBlock;
export const PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  staking: {
    ...DEFAULT_PARAMS.staking,
    unbondingBlocks: 10,
    signedBlocksWindow: 10,
    maxMissedBlocks: 4,
    downtimeJailBlocks: 20,
  },
};

export function ctx(height: number, extra: Partial<BlockContext> = {}): BlockContext {
  return testContext(height, { params: PARAMS, ...extra });
}

export interface Party {
  address: Uint8Array;
  consensusSecret: Uint8Array;
  consensusPubkey: Uint8Array;
  consensusAddress: Uint8Array;
}

export function party(seed: number): Party {
  const address = new Uint8Array(20).fill(seed);
  const consensusSecret = generateSecretKey();
  const consensusPubkey = publicKeyOf(consensusSecret);
  return { address, consensusSecret, consensusPubkey, consensusAddress: addressFromPublicKey(consensusPubkey) };
}

/** A create_validator of `p`, its consensus key signing its claim by `p`'s operator address. */
export function createMsg(p: Party, selfStake: bigint, moniker = `v${p.address[0]}`): ModuleMsg {
  const claim = possessionSignBytes(testContext(1).chainId, p.address);
  return {
    type: "create_validator",
    consensusPubkey: p.consensusPubkey,
    moniker,
    selfStake,
    consensusSignature: signPortable(claim, p.consensusSecret),
  };
}

/** A state with funded parties; supply is minted so the breakdown stays consistent. */
export function setup(parties: { address: Uint8Array }[], balance = 10_000n * OPEN): MemoryState {
  const state = new MemoryState();
  state.run((view) => {
    for (const p of parties) setAccount(view, p.address, { nonce: 0, balance });
    const total = balance * BigInt(parties.length);
    view.set(MODULE_PREFIX.bankSupply, encodeAmount(total));
  });
  return state;
}

export function send(state: MemoryState, sender: Uint8Array, msg: ModuleMsg, height = 1) {
  return state.run((view) => apply(view, sender, msg, ctx(height)));
}

export function refusal(fn: () => unknown): TxErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof TxError) return err.code;
    throw err;
  }
  throw new Error("expected a refusal");
}

export function createValidator(state: MemoryState, p: Party, selfStake: bigint, height = 1) {
  return send(state, p.address, createMsg(p, selfStake), height);
}

export function sumOfBalances(state: MemoryState): bigint {
  let sum = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.bankAccount)) sum += decodeAccount(v).balance;
  return sum;
}
