import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  contributionCodec,
  inferenceCodec,
  rewardsCodec,
  stakingValidatorCodec,
  unbondingGroupCodec,
  unbondingListCodec,
} from "../../proto/module-records.ts";
import { decodeAccount } from "../../proto/records.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { executeBlock } from "../../state/execute.ts";
import { decodeAmount } from "../../proto/codec.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import { getActiveProposalIds } from "../../state/modules/gov/queries.ts";
import { getAccount } from "../../state/modules/bank/bank.ts";
import { supplyBreakdown } from "../../state/supply.ts";
import {
  ACCOUNTS,
  BLOCKS,
  blockContext,
  blockOf,
  BANK_MSGS,
  ECONOMY_MSGS,
  GOV_MSGS,
  FUNDED,
  GENESIS_BALANCE,
  genesisState,
  includableTxs,
  type BlockSpec,
} from "../helpers/economy-workload.ts";
import type { MemoryState } from "../helpers/memory-state.ts";

/**
 * The whole-chain conservation property: random workloads of every message type, through the real executor
 * (beginBlock, ante, message, endBlock), with evidence and missed votes in the block context. After every
 * block, the sum of every account balance in state must equal what supplyBreakdown says is in balances
 * (total supply minus stakes, unbonding, escrows, accrued rewards and treasury), the total must never move,
 * and each module's running total must equal the sum over its own records.
 */

// ---- checks ----

function sumOfBalances(state: MemoryState): bigint {
  let sum = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.bankAccount)) sum += decodeAccount(v).balance;
  return sum;
}

/** Each module's running total against the sum over its own records. */
function recordTotals(state: MemoryState) {
  let bonded = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.stakingValidator)) bonded += stakingValidatorCodec.decode(v).tokens;
  let unbonding = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.stakingUnbonding)) {
    for (const e of unbondingListCodec.decode(v)) unbonding += e.amount;
  }
  // Less what slashes took from each height's unbondings and the entries still unbonding have not yet paid.
  for (const [, v] of state.entries(MODULE_PREFIX.stakingUnbondingGroup)) {
    const g = unbondingGroupCodec.decode(v);
    unbonding -= g.slashed - (g.completed * g.slashed) / g.total;
  }
  let contributionStakes = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.contribution)) {
    const c = contributionCodec.decode(v);
    if (c.status === "pending") contributionStakes += c.stake;
    else expect(c.stake, `contribution ${c.id} is ${c.status} but holds a stake`).toBe(0n);
  }
  let inferenceEscrow = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.inference)) {
    const i = inferenceCodec.decode(v);
    if (i.status === "paid") inferenceEscrow += i.price;
  }
  let rewardsAccrued = 0n;
  for (const [, v] of state.entries(MODULE_PREFIX.rewards)) rewardsAccrued += rewardsCodec.decode(v).accrued;
  // Deposit records stay after a proposal ends (its history); the escrow holds the active proposals' only.
  let govDeposits = 0n;
  for (const id of getActiveProposalIds(state)) {
    for (const [k, v] of state.entries(stateKey(MODULE_PREFIX.govDeposit, idKey(id)))) {
      expect(k.byteLength).toBe(MODULE_PREFIX.govDeposit.byteLength + 8 + 20);
      govDeposits += decodeAmount(v, "deposit");
    }
  }
  return { bonded, unbonding, contributionStakes, inferenceEscrow, rewardsAccrued, govDeposits };
}

/** What a message counts as: some types come in flavours that must each succeed (a record may be two). */
function labelsOf(msg: TxMsg): string[] {
  switch (msg.type) {
    case "review_contribution":
      return [`review_contribution:${msg.accept ? "accept" : "reject"}`];
    case "register_model":
      return [`register_model:${msg.kind}`];
    case "record_inference": {
      const kinds = new Set(msg.weights.map((w) => (w.contributionId > 0 ? "contribution" : "version")));
      return kinds.size === 0 ? ["record_inference:none"] : [...kinds].sort().map((k) => `record_inference:${k}`);
    }
    default:
      return [msg.type];
  }
}

const REQUIRED = [
  "transfer",
  "create_validator",
  "stake",
  "unstake",
  "unjail",
  "create_datanet",
  "update_datanet",
  "contribute",
  "review_contribution:accept",
  "review_contribution:reject",
  "slash_contribution",
  "publish_version",
  "register_model:model",
  "register_model:adapter",
  "publish_model_version",
  "set_model_price",
  "set_model_operators",
  "retire_model",
  "pay_inference",
  "record_inference:contribution",
  "record_inference:version",
  "claim_rewards",
  "submit_proposal",
  "deposit",
  "vote",
  "multi_send",
];

/** Every message kind: the economy's, governance's (whose tally runs in the end of block) and the bank's multi-send. */
const ALL_MSGS = [...ECONOMY_MSGS, ...GOV_MSGS, ...BANK_MSGS];

/** Over every run: included txs and successes per label, block events by type, txs dropped at the ante. */
const successes = new Map<string, number>();
const attempts = new Map<string, number>();
const blockEvents = new Map<string, number>();
let dropped = 0;
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function runChain(blocks: BlockSpec[]): void {
  const state = genesisState();
  const total = supplyBreakdown(state).total;
  expect(total).toBe(BigInt(FUNDED) * GENESIS_BALANCE);
  const nonces = ACCOUNTS.map(() => 0);

  for (const [i, spec] of blocks.entries()) {
    const height = i + 1;
    const ctx = blockContext(spec, height);
    const built = includableTxs(state, spec, ctx, nonces);
    dropped += built.dropped;
    const txs = built.txs;

    const outcome = executeBlock(state, txs, ctx);
    if (!outcome.ok) {
      throw new Error(`block ${height} refused tx ${outcome.rejected.index}: ${outcome.rejected.error.message}`);
    }
    const { writes, results } = outcome.execution;
    for (const [k, tx] of txs.entries()) {
      for (const label of labelsOf(tx.body.msg)) {
        bump(attempts, label);
        if (results[k].code === 0) bump(successes, label);
      }
    }
    for (const e of outcome.execution.blockEvents) {
      bump(blockEvents, e.type);
      // A tally by its outcome: the property must see proposals execute (and fail to), not only end.
      const status = e.attributes.find((a) => a.key === "status")?.value;
      if (e.type === "proposal_tallied") bump(blockEvents, `proposal_${status}`);
    }
    state.apply(writes);

    const breakdown = supplyBreakdown(state);
    expect(breakdown.total, `total supply after block ${height}`).toBe(total);
    expect(sumOfBalances(state), `sum of balances after block ${height}`).toBe(breakdown.balances);
    const records = recordTotals(state);
    expect(records, `module totals against their records after block ${height}`).toEqual({
      bonded: breakdown.bonded,
      unbonding: breakdown.unbonding,
      contributionStakes: breakdown.contributionStakes,
      inferenceEscrow: breakdown.inferenceEscrow,
      rewardsAccrued: breakdown.rewardsAccrued,
      govDeposits: breakdown.govDeposits,
    });
    // Every included tx used its nonce, failed message or not; dropped ones did not.
    expect(ACCOUNTS.map((a) => getAccount(state, a.address).nonce), `nonces after block ${height}`).toEqual(nonces);
  }
}

describe("economy: supply conservation across every module", () => {
  it("sum of balances, stakes, unbonding, escrows, rewards and treasury is the supply after every block", () => {
    fc.assert(
      fc.property(fc.array(blockOf(ALL_MSGS), { minLength: BLOCKS, maxLength: BLOCKS }), (blocks) => {
        runChain(blocks);
      }),
      { numRuns: 25 },
    );

    if (process.env.ECONOMY_SUPPLY_REPORT) {
      const rows = [...attempts.keys()].sort().map((k) => `  ${k}: ${successes.get(k) ?? 0}/${attempts.get(k)}`);
      console.info(`successes/included:\n${rows.join("\n")}`);
      console.info(`block events: ${JSON.stringify(Object.fromEntries(blockEvents))}; dropped at the ante: ${dropped}`);
    }
    const missing = REQUIRED.filter((label) => (successes.get(label) ?? 0) === 0);
    expect(missing, `types that never succeeded (successes: ${JSON.stringify(Object.fromEntries(successes))})`).toEqual(
      [],
    );
    for (const type of [
      "slash",
      "jail",
      "unbonding_complete",
      "inference_expired",
      "proposal_tallied",
      "proposal_passed",
      "proposal_dropped",
    ]) {
      expect(blockEvents.get(type) ?? 0, `block events of type ${type}`).toBeGreaterThan(0);
    }
    expect(dropped, "transactions whose ante failed").toBeGreaterThan(0);
  });
});
