import { concatBytes, u64be, utf8 } from "../crypto/bytes.ts";

/**
 * The state tree's key space. Each module owns its prefixes; keys are prefix bytes followed by the module's
 * own key bytes (ids as 8-byte big-endian, so they sort numerically; addresses as 20 bytes). Every key under
 * one prefix has the same length, so a prefix can be listed at any height. Prefixes are never reused.
 */
export const MODULE_PREFIX = {
  /** bank/acct/<address 20> -> Account { nonce, balance } */
  bankAccount: utf8("bank/acct/"),
  /** bank/supply -> amount (minimal big-endian) */
  bankSupply: utf8("bank/supply"),
  /** treasury -> amount: slashed stake, protocol shares, dust. No key spends it (governance will). */
  treasury: utf8("treasury"),

  /** stk/val/<operator 20> -> StakingValidator */
  stakingValidator: utf8("stk/val/"),
  /** stk/cons/<consensus address 20> -> operator address */
  stakingConsensus: utf8("stk/cons/"),
  /** stk/del/<delegator 20><operator 20> -> shares (amount) */
  stakingDelegation: utf8("stk/del/"),
  /** stk/delv/<operator 20><delegator 20> -> 0x01 (index: the stakers of a validator) */
  stakingDelegationByValidator: utf8("stk/delv/"),
  /** stk/unb/<delegator 20> -> UnbondingList */
  stakingUnbonding: utf8("stk/unb/"),
  /**
   * stk/unbq/<height 8><seq 4> -> delegator address: an unbonding entry completes at that height; stk/unbqn/
   * <height 8> -> how many (8). One key per entry, so an unstake costs O(1) however many share its height.
   */
  stakingUnbondingQueue: utf8("stk/unbq/"),
  stakingUnbondingQueueCount: utf8("stk/unbqn/"),
  /**
   * stk/unbg/<operator 20><creation height 8> -> UnbondingGroup: the unbondings that left a validator at a
   * height, as one total, so that a slash writes one key per height of its window however many unstaked.
   * Removed when those entries complete.
   */
  stakingUnbondingGroup: utf8("stk/unbg/"),
  /** stk/pool -> StakingPool { bonded, unbonding } */
  stakingPool: utf8("stk/pool"),
  /** stk/candidates -> AddressList: every validator's operator, sorted */
  stakingCandidates: utf8("stk/candidates"),
  /** stk/vset/<height 8> -> ValidatorSet in force from that height (written when the set changes) */
  stakingValidatorSet: utf8("stk/vset/"),
  /** stk/vset-latest -> height (8) of the latest stk/vset/ entry */
  stakingValidatorSetLatest: utf8("stk/vset-latest"),
  /** stk/evid/<evidence hash 32> -> height it was committed at (no evidence counts twice) */
  stakingEvidence: utf8("stk/evid/"),

  /** dn/seq -> next datanet id (8); dn/cseq -> next contribution id (8). Ids start at 1. */
  datanetSeq: utf8("dn/seq"),
  contributionSeq: utf8("dn/cseq"),
  /** dn/net/<id 8> -> Datanet */
  datanet: utf8("dn/net/"),
  /** dn/contrib/<id 8> -> Contribution */
  contribution: utf8("dn/contrib/"),
  /** dn/bydn/<datanet 8><contribution 8> -> 0x01 */
  contributionsByDatanet: utf8("dn/bydn/"),
  /** dn/byaddr/<contributor 20><contribution 8> -> 0x01 */
  contributionsByContributor: utf8("dn/byaddr/"),
  /** dn/accepted/<datanet 8><accept index 8> -> contribution id (8) */
  acceptedContribution: utf8("dn/accepted/"),
  /** dn/ver/<datanet 8><version 8> -> DatanetVersion */
  datanetVersion: utf8("dn/ver/"),
  /** dn/frontier/<datanet 8> -> DatanetFrontier: the Merkle frontier of its accepted contributions */
  datanetFrontier: utf8("dn/frontier/"),
  /** dn/escrow -> amount: contribution stakes locked while pending */
  datanetEscrow: utf8("dn/escrow"),

  /** mdl/seq -> next model id (8) */
  modelSeq: utf8("mdl/seq"),
  /** mdl/model/<id 8> -> Model */
  model: utf8("mdl/model/"),
  /** mdl/ver/<model 8><version 8> -> ModelVersion */
  modelVersion: utf8("mdl/ver/"),
  /** mdl/byowner/<owner 20><model 8> -> 0x01 */
  modelsByOwner: utf8("mdl/byowner/"),
  /** mdl/bybase/<sha256(base model name) 32><model 8> -> 0x01 */
  modelsByBase: utf8("mdl/bybase/"),
  /** mdl/bydn/<datanet 8><model 8> -> 0x01 */
  modelsByDatanet: utf8("mdl/bydn/"),

  /** att/seq -> next inference id (8) */
  inferenceSeq: utf8("att/seq"),
  /** att/inf/<id 8> -> Inference */
  inference: utf8("att/inf/"),
  /** att/bymodel/<model 8><inference 8>, att/bypayer/<payer 20><inference 8>,
   *  att/bycontrib/<contribution 8><inference 8> -> 0x01 */
  inferencesByModel: utf8("att/bymodel/"),
  inferencesByPayer: utf8("att/bypayer/"),
  inferencesByContribution: utf8("att/bycontrib/"),
  /** att/expq/<height 8><seq 4> -> inference id (8): the seq-th inference expiring at the end of that height
   *  (one key per entry, so queueing one costs O(1) whatever the height's queue holds) */
  inferenceExpiryQueue: utf8("att/expq/"),
  /** att/expqn/<height 8> -> count (8): how many att/expq/ entries that height has */
  inferenceExpiryCount: utf8("att/expqn/"),
  /** att/escrow -> amount escrowed by paid, unrecorded inferences */
  inferenceEscrow: utf8("att/escrow"),
  /** att/rew/<address 20> -> Rewards { accrued, claimed } */
  rewards: utf8("att/rew/"),
  /** att/rsrc/<address 20><source kind 1><id 8> -> amount earned from that source, ever */
  rewardSource: utf8("att/rsrc/"),
  /** att/earn/<kind 1><id 8> -> amount paid out because of that contribution, datanet or model, ever */
  earnings: utf8("att/earn/"),
  /** att/accrued -> amount of rewards accrued and not yet claimed, over every address */
  rewardsAccrued: utf8("att/accrued"),
  /** att/pay/<inference 8> -> InferencePayouts: every credit its record made (at most maxVersionRecipients + 2) */
  inferencePayouts: utf8("att/pay/"),

  /**
   * gov/params -> the chain params as JSON (state/params-check.ts paramsToJson), written only when a
   * governance change executes: absent, the params are genesis's (so chains without one keep their roots).
   */
  govParams: utf8("gov/params"),
  /** gov/seq -> next proposal id (8). Ids start at 1. */
  govSeq: utf8("gov/seq"),
  /** gov/prop/<id 8> -> GovProposal */
  govProposal: utf8("gov/prop/"),
  /** gov/active -> IdList: proposals in their deposit or voting period (at most maxActiveProposals) */
  govActive: utf8("gov/active"),
  /** gov/escrow -> amount: deposits held while proposals are active */
  govEscrow: utf8("gov/escrow"),
  /** gov/dep/<id 8><depositor 20> -> amount deposited */
  govDeposit: utf8("gov/dep/"),
  /** gov/depl/<id 8><seq 4> -> depositor; gov/depln/<id 8> -> count (a SeqList: who to refund) */
  govDepositors: utf8("gov/depl/"),
  govDepositorsCount: utf8("gov/depln/"),
  /** gov/vote/<id 8><voter 20> -> GovVote (the latest vote of the voter) */
  govVote: utf8("gov/vote/"),
  /** gov/votl/<id 8><seq 4> -> voter; gov/votln/<id 8> -> count (a SeqList: whose votes to tally) */
  govVoters: utf8("gov/votl/"),
  govVotersCount: utf8("gov/votln/"),
  /**
   * gov/vs/<id 8><operator 20><option 1> -> shares: the sum of the shares with that validator of the voters
   * who voted that option naming it (kept as votes and stakes change, so the tally reads no vote)
   */
  govVotedShares: utf8("gov/vs/"),
  /** gov/upgrade -> id (8) of the passed software-upgrade proposal the chain waits for (its name, height) */
  govUpgrade: utf8("gov/upgrade"),
  /**
   * gov/upgdone/<sha256(upgrade name) 32> -> height (8) the upgrade's handler ran at (state/modules/gov/upgrade.ts):
   * a name is applied once, and a later proposal for it fails
   */
  govUpgradeDone: utf8("gov/upgdone/"),
  /**
   * upg/test/<sha256(upgrade name) 32> -> count (8): how many times the test-only marker handler of that name ran
   * (state/upgrades/registry.ts, registered only by OPL_TEST_UPGRADE_HANDLERS; no production handler writes it)
   */
  upgradeTestMarker: utf8("upg/test/"),
} as const;

/** Kinds of reward source and earnings object (one byte in att/rsrc/ and att/earn/ keys). */
export const SOURCE_KIND = { model: 1, datanet: 2, contribution: 3, treasury: 4 } as const;
export type SourceKind = keyof typeof SOURCE_KIND;

export function stateKey(prefix: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  return parts.length === 0 ? prefix : concatBytes(prefix, ...parts);
}

/** An id or height as a key part: 8 bytes big-endian. */
export function idKey(id: number): Uint8Array {
  return u64be(id);
}

/** A one-byte marker value for index keys. */
export const PRESENT = Uint8Array.of(1);
