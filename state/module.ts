import type { TxEvent } from "../proto/records.ts";
import type { TxMsg } from "../proto/tx.ts";
import type { BlockContext } from "./block-context.ts";
import type { Genesis } from "./genesis.ts";
import type { AccountRef } from "./modules/bank/bank.ts";
import type { ChainParams } from "./params.ts";
import type { Overlay, StateReader } from "./view.ts";

/**
 * The contract every native module (state/modules/<name>/module.ts) keeps with the executor. A module owns
 * the message types it lists; the registry (state/modules/registry.ts) routes each message to its owner and
 * calls the block hooks in registry order. Each module object is checked with `satisfies NativeModule`.
 *
 * Everything here is deterministic: state in, state and events out; no clock, no I/O.
 */
export interface NativeModule {
  /** The module's name: its folder, and the prefix of its RPC methods. */
  readonly name: string;
  /** The message types this module handles (each type has exactly one owner: the registry checks). */
  readonly msgTypes: readonly TxMsg["type"][];
  /** Stateless checks (sizes, ranges): a failing message is refused at admission. Throws TxError. */
  check(msg: TxMsg, params: ChainParams): void;
  /** What the message spends from the sender's balance at most, besides the fee (mempool coverage). */
  spend(msg: TxMsg): bigint;
  /**
   * The state transition; throws TxError (the executor rolls its writes back). Returns the events.
   * `senderRef` is the sender's account key, already made by the ante step (saves remaking it).
   */
  apply(view: Overlay, sender: Uint8Array, msg: TxMsg, ctx: BlockContext, senderRef: AccountRef): TxEvent[];
  /** Before a block's transactions (e.g. liveness, slashing). */
  beginBlock?(view: Overlay, ctx: BlockContext): TxEvent[];
  /** After a block's transactions (e.g. unbonding that completes, expiry, the next validator set). */
  endBlock?(view: Overlay, ctx: BlockContext): TxEvent[];
  /** Writes the module's genesis state (in registry order: bank's balances exist before staking's stakes). */
  initGenesis?(view: Overlay, genesis: Genesis): void;
  /**
   * What RPC and other modules may read of this module's state: read-only functions of a state view.
   * Nothing outside the module reads its keys directly.
   */
  readonly queries: Readonly<Record<string, (view: StateReader, ...args: never[]) => unknown>>;
}
