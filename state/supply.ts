import { MODULE_PREFIX } from "./keys.ts";
import { getSupply } from "./modules/bank/bank.ts";
import { readAmount } from "./modules/common.ts";
import { getPool } from "./modules/staking/staking.ts";
import type { StateReader } from "./view.ts";

/**
 * Where the total supply of OPEN is. Every module keeps a running total of what it holds, so this is a few
 * reads, and what is not held by a module must be in account balances: `balances` = total minus the rest.
 * A test that sums every account balance checks exactly that (test/integration/supply-invariant.test.ts).
 */
export interface SupplyBreakdown {
  total: bigint;
  /** Derived: total minus everything below. */
  balances: bigint;
  bonded: bigint;
  unbonding: bigint;
  contributionStakes: bigint;
  inferenceEscrow: bigint;
  rewardsAccrued: bigint;
  treasury: bigint;
  /** Deposits of active governance proposals. */
  govDeposits: bigint;
}

export function supplyBreakdown(view: StateReader): SupplyBreakdown {
  const pool = getPool(view);
  const held = {
    bonded: pool.bonded,
    unbonding: pool.unbonding,
    contributionStakes: readAmount(view, MODULE_PREFIX.datanetEscrow),
    inferenceEscrow: readAmount(view, MODULE_PREFIX.inferenceEscrow),
    rewardsAccrued: readAmount(view, MODULE_PREFIX.rewardsAccrued),
    treasury: readAmount(view, MODULE_PREFIX.treasury),
    govDeposits: readAmount(view, MODULE_PREFIX.govEscrow),
  };
  const total = getSupply(view);
  let outside = 0n;
  for (const v of Object.values(held)) outside += v;
  return { total, balances: total - outside, ...held };
}
