import { type StakingPool, stakingPoolCodec } from "../../../proto/module-records.ts";
import { MODULE_PREFIX } from "../../keys.ts";
import type { Overlay } from "../../view.ts";
import { getPool } from "./queries.ts";

/** The bonded and unbonding totals (stk/pool): every change to either goes through addPool. */
function setPool(view: Overlay, pool: StakingPool): void {
  view.set(MODULE_PREFIX.stakingPool, stakingPoolCodec.encode(pool));
}

export function addPool(view: Overlay, bonded: bigint, unbonding: bigint): void {
  const pool = getPool(view);
  setPool(view, { bonded: pool.bonded + bonded, unbonding: pool.unbonding + unbonding });
}
