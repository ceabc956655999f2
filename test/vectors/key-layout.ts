/**
 * docs/module-state.md's key table, written out as data for the tests (never imported by the node): each
 * prefix's ASCII text, the widths of the parts after it, and what its value is. The tests check the code's
 * prefixes (state/keys.ts) against it, and every key and value the modules write against it.
 */

/** Part widths in bytes: an address, an id or height, a hash, a list position, a source kind, a vote option. */
export const PART_BYTES = { address: 20, id: 8, hash: 32, position: 4, kind: 1, option: 1 } as const;
export type Part = keyof typeof PART_BYTES;

/** A value: a record (by its rule id) or a bare scalar (STATE-SCALAR). */
export type ValueForm =
  | "amount" | "u64" | "address" | "present"
  | "ACCOUNT" | "STAKING-VALIDATOR" | "UNBONDING-LIST" | "UNBONDING-GROUP" | "STAKING-POOL" | "ADDRESS-LIST" | "VALIDATOR-SET"
  | "DATANET" | "CONTRIBUTION" | "DATANET-VERSION" | "DATANET-FRONTIER" | "MODEL" | "MODEL-VERSION"
  | "INFERENCE" | "REWARDS" | "INFERENCE-PAYOUTS" | "ID-LIST" | "GOV-PROPOSAL" | "GOV-VOTE" | "GOV-PARAMS";

export interface KeyLayout {
  text: string;
  parts: Part[];
  value: ValueForm;
}

const k = (text: string, parts: Part[], value: ValueForm): KeyLayout => ({ text, parts, value });

/** By the name state/keys.ts MODULE_PREFIX gives the prefix. */
export const KEY_LAYOUT: Record<string, KeyLayout> = {
  bankAccount: k("bank/acct/", ["address"], "ACCOUNT"),
  bankSupply: k("bank/supply", [], "amount"),
  treasury: k("treasury", [], "amount"),

  stakingValidator: k("stk/val/", ["address"], "STAKING-VALIDATOR"),
  stakingConsensus: k("stk/cons/", ["address"], "address"),
  stakingDelegation: k("stk/del/", ["address", "address"], "amount"),
  stakingDelegationByValidator: k("stk/delv/", ["address", "address"], "present"),
  stakingUnbonding: k("stk/unb/", ["address"], "UNBONDING-LIST"),
  stakingUnbondingQueue: k("stk/unbq/", ["id", "position"], "address"),
  stakingUnbondingQueueCount: k("stk/unbqn/", ["id"], "u64"),
  stakingUnbondingGroup: k("stk/unbg/", ["address", "id"], "UNBONDING-GROUP"),
  stakingPool: k("stk/pool", [], "STAKING-POOL"),
  stakingCandidates: k("stk/candidates", [], "ADDRESS-LIST"),
  stakingValidatorSet: k("stk/vset/", ["id"], "VALIDATOR-SET"),
  stakingValidatorSetLatest: k("stk/vset-latest", [], "u64"),
  stakingEvidence: k("stk/evid/", ["hash"], "u64"),

  datanetSeq: k("dn/seq", [], "u64"),
  contributionSeq: k("dn/cseq", [], "u64"),
  datanet: k("dn/net/", ["id"], "DATANET"),
  contribution: k("dn/contrib/", ["id"], "CONTRIBUTION"),
  contributionsByDatanet: k("dn/bydn/", ["id", "id"], "present"),
  contributionsByContributor: k("dn/byaddr/", ["address", "id"], "present"),
  acceptedContribution: k("dn/accepted/", ["id", "id"], "u64"),
  datanetVersion: k("dn/ver/", ["id", "id"], "DATANET-VERSION"),
  datanetFrontier: k("dn/frontier/", ["id"], "DATANET-FRONTIER"),
  datanetEscrow: k("dn/escrow", [], "amount"),

  modelSeq: k("mdl/seq", [], "u64"),
  model: k("mdl/model/", ["id"], "MODEL"),
  modelVersion: k("mdl/ver/", ["id", "id"], "MODEL-VERSION"),
  modelsByOwner: k("mdl/byowner/", ["address", "id"], "present"),
  modelsByBase: k("mdl/bybase/", ["hash", "id"], "present"),
  modelsByDatanet: k("mdl/bydn/", ["id", "id"], "present"),

  inferenceSeq: k("att/seq", [], "u64"),
  inference: k("att/inf/", ["id"], "INFERENCE"),
  inferencesByModel: k("att/bymodel/", ["id", "id"], "present"),
  inferencesByPayer: k("att/bypayer/", ["address", "id"], "present"),
  inferencesByContribution: k("att/bycontrib/", ["id", "id"], "present"),
  inferenceExpiryQueue: k("att/expq/", ["id", "position"], "u64"),
  inferenceExpiryCount: k("att/expqn/", ["id"], "u64"),
  inferenceEscrow: k("att/escrow", [], "amount"),
  rewards: k("att/rew/", ["address"], "REWARDS"),
  rewardSource: k("att/rsrc/", ["address", "kind", "id"], "amount"),
  earnings: k("att/earn/", ["kind", "id"], "amount"),
  rewardsAccrued: k("att/accrued", [], "amount"),
  inferencePayouts: k("att/pay/", ["id"], "INFERENCE-PAYOUTS"),

  govParams: k("gov/params", [], "GOV-PARAMS"),
  govSeq: k("gov/seq", [], "u64"),
  govProposal: k("gov/prop/", ["id"], "GOV-PROPOSAL"),
  govActive: k("gov/active", [], "ID-LIST"),
  govEscrow: k("gov/escrow", [], "amount"),
  govDeposit: k("gov/dep/", ["id", "address"], "amount"),
  govDepositors: k("gov/depl/", ["id", "position"], "address"),
  govDepositorsCount: k("gov/depln/", ["id"], "u64"),
  govVote: k("gov/vote/", ["id", "address"], "GOV-VOTE"),
  govVoters: k("gov/votl/", ["id", "position"], "address"),
  govVotersCount: k("gov/votln/", ["id"], "u64"),
  govVotedShares: k("gov/vs/", ["id", "address", "option"], "amount"),
  govUpgrade: k("gov/upgrade", [], "u64"),
  govUpgradeDone: k("gov/upgdone/", ["hash"], "u64"),
  upgradeTestMarker: k("upg/test/", ["hash"], "u64"),
};

/** The layout a key belongs to: the longest prefix text it starts with (so "stk/unbqn/" is not "stk/unbq/"). */
export function layoutOf(key: Uint8Array): [string, KeyLayout] | undefined {
  const text = Buffer.from(key).toString("latin1");
  let best: [string, KeyLayout] | undefined;
  for (const entry of Object.entries(KEY_LAYOUT)) {
    const longer = best === undefined || entry[1].text.length > best[1].text.length;
    if (text.startsWith(entry[1].text) && longer) best = entry;
  }
  return best;
}

export function keyLength(layout: KeyLayout): number {
  return layout.text.length + layout.parts.reduce((n, p) => n + PART_BYTES[p], 0);
}
