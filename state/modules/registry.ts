import type { TxMsg } from "../../proto/tx.ts";
import type { NativeModule } from "../module.ts";
import { attributionModule } from "./attribution/module.ts";
import { bankModule } from "./bank/module.ts";
import { govModule } from "./gov/module.ts";
import { datanetsModule } from "./datanets/module.ts";
import { modelsModule } from "./models/module.ts";
import { stakingModule } from "./staking/module.ts";

/**
 * The native modules, one line each. The order is the order of their block hooks and genesis: bank first
 * (genesis balances before stakes are paid from them), governance before staking (a vote's tally reads the
 * bonds of its last block before staking's end of block completes unbondings), staking last (its end of
 * block computes the next validator set after everything else in the block has moved).
 */
export const MODULES = [
  bankModule,
  datanetsModule,
  modelsModule,
  attributionModule,
  govModule,
  stakingModule,
] as const satisfies readonly NativeModule[];

/** Every message type has an owner: a type added to TxMsg without a module fails to compile here. */
type Owned = (typeof MODULES)[number]["msgTypes"][number];
const everyTypeOwned: [TxMsg["type"]] extends [Owned] ? true : never = true;
void everyTypeOwned;

const OWNER = new Map<TxMsg["type"], NativeModule>();
for (const module of MODULES) {
  for (const type of module.msgTypes) {
    const other = OWNER.get(type);
    if (other !== undefined) throw new Error(`message type ${type} is owned by both ${other.name} and ${module.name}`);
    OWNER.set(type, module);
  }
}

/** The module that owns a message type. */
export function moduleOf(msg: TxMsg): NativeModule {
  const module = OWNER.get(msg.type);
  if (module === undefined) throw new Error(`no module owns message type ${msg.type}`); // compile time forbids it
  return module;
}
