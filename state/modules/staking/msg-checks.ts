/**
 * A staking message's checks before any state is read (the moniker's text and size, a self-stake at least the
 * minimum, a positive amount), and what it takes from its sender's balance (its spend, for the mempool and
 * the ante check).
 */
import type { ModuleMsg, StakingMsg } from "../../../proto/module-msgs.ts";
import { TxError } from "../../errors.ts";
import type { ChainParams } from "../../params.ts";
import { checkText } from "../common.ts";

const MONIKER_MAX_BYTES = 64;

export function check(msg: ModuleMsg, params: ChainParams): void {
  const m = msg as StakingMsg;
  switch (m.type) {
    case "create_validator":
      checkText(m.moniker, MONIKER_MAX_BYTES, "moniker", true);
      if (m.selfStake < params.staking.minSelfStake) {
        throw new TxError(
          "INSUFFICIENT_STAKE",
          `self-stake ${m.selfStake} is below the minimum ${params.staking.minSelfStake}`,
        );
      }
      return;
    case "stake":
    case "unstake":
      if (m.amount <= 0n) throw new TxError("INVALID_MSG", `${m.type} amount must be positive`);
      return;
    case "unjail":
      return;
  }
}

export function spend(msg: ModuleMsg): bigint {
  const m = msg as StakingMsg;
  if (m.type === "create_validator") return m.selfStake;
  if (m.type === "stake") return m.amount;
  return 0n;
}
