import type { DecodedTx, TxMsg } from "../proto/tx.ts";
import { MAX_VOTE_VALIDATORS } from "./modules/gov/gov.ts";
import type { ChainParams } from "./params.ts";
import { MAX_ACTIVE_PROPOSALS_CAP } from "./params-check.ts";

/**
 * What a transaction costs a node that checks a block holding it, in work units: the bound of a block's
 * total (params.maxBlockWork), so that a block at the limit is built and checked well within the propose
 * timeout whatever its mix (issue 12: blocks bounded by count and bytes alone grew to 20,000 txs under
 * backlog and took 2-9 s to check, longer than the round).
 *
 * The unit: 100 work = one ed25519 signature verify on one core, the cost everything else was measured
 * against (a ratio, so it holds on any machine): OpenSSL's verify (test/bench/reference-verify.ts), which the
 * node used until 2026-12-07; its own, libsodium's, costs ~0.6 of that, so a signature is overcharged. A receiver verifies every tx it has not seen, so each tx
 * pays a verify whether or not this node already checked it. The rest was measured by
 * test/bench/max-block-check.ts (a fresh peer's check of a block at the limit, per tx, for transfers to new
 * and to existing accounts and for maximal datanets, divided by the time of one verify measured by the same
 * script; the worst of several runs on a loaded machine), rounded up. Message kinds not measured separately
 * are priced from their state reads and writes against those.
 *
 * The cost is a pure function of the tx itself, never of the state: it is known before execution, so the
 * proposer takes txs until the budget is used and a checker refuses an over-budget block before it verifies
 * or executes anything. Where the real cost depends on the state (a transfer to an account that does not
 * exist yet writes a new leaf), the worst case is charged. Work that varies with the state beyond that
 * (the reward credits of a record) keeps its own per-block budget (params.attribution.maxBlockCredits).
 */

/** One ed25519 verify: the unit's definition (every tx carries one signature). */
export const VERIFY_WORK = 100;

/**
 * Every tx beyond its signature: decode and hash, the ante step (sender and fee recipient read and
 * written: two state-tree leaves), its result record.
 */
export const TX_BASE_WORK = 40;

/** Per KiB of tx bytes (charged per byte, rounded up): decoding, hashing, storing grow with size. */
export const WORK_PER_KIB = 50;

/**
 * The message, beyond the base: its state reads and writes (each write is a state-tree leaf updated,
 * each new key a leaf created). Measured per kind; kinds not separately measured are charged like the
 * measured kind with the most writes of their module.
 */
export const MSG_WORK: Readonly<Record<TxMsg["type"], number>> = {
  // A transfer to an account that does not exist yet (one new leaf); to an existing one it costs less.
  transfer: 70,
  create_validator: 120,
  stake: 80,
  // An audit helper's measurement (gov-msg-work's method): 242-252 units a tx against 128 charged (~4 new
  // leaves: the entry, its two queues, the pool); its payout, blocks later, is bounded by this block's.
  unstake: 210,
  unjail: 60,
  create_datanet: 200,
  update_datanet: 200,
  // Each reads its datanet and writes it back whole with a counter changed: at the params' limits (a 4 KiB
  // description, 32 curators, 256 listed contributors) ~10 KB decoded, encoded and hashed into the tree.
  // Measured by test/bench/datanet-msg-work.ts (--datanets 300 --per 1: each tx another datanet), the worst
  // of two runs: contribute 386, review 383, publish 331 units against 109, 87 and 107 charged (60, 40, 60);
  // on minimal datanets 126, 193 and 118. Priced at the maximal datanet's, ~10% over.
  contribute: 380,
  review_contribution: 380,
  // Reads the datanet (not written back) and rewrites the contribution and the contributor's account: not
  // measured separately, charged as review, the module's kind with the most writes.
  slash_contribution: 380,
  publish_version: 320,
  register_model: 60,
  publish_model_version: 60,
  set_model_price: 30,
  set_model_operators: 40,
  retire_model: 30,
  // The same measurement: 245-269 units a tx against 109 charged (~5 new leaves: the inference, its escrow,
  // its expiry queue and indexes); its refund at expiry is bounded by this block's.
  pay_inference: 220,
  // Per weight too (below); the credits its weights make are bounded by maxBlockCredits.
  record_inference: 60,
  claim_rewards: 40,
  // Governance, measured by test/bench/gov-msg-work.ts (CPU time of a peer's check per tx, in verifies
  // measured next to it, the check's fixed cost taken off; the larger of two runs, rounded up; transfers to
  // new accounts measured in the same runs at 98-151 against their 118 charged). A proposal at every size
  // limit (16 param changes, each validated as genesis's params are; 4 KiB of text) 548-639 with 240 of
  // them its bytes; a deposit 146-177; a vote naming one validator 235-243 (its shares per validator below).
  submit_proposal: 360,
  deposit: 130,
  vote: 200,
  // The sender's debit; each recipient is charged MULTI_SEND_OUTPUT_WORK more (below).
  multi_send: 30,
};

/**
 * Per validator a vote names: a delegation read and a running sum written into its option.
 * (With VOTE_UNDO_WORK below, a changed vote naming 16 is charged 664 as before: 573-622 measured.)
 */
export const VOTE_VALIDATOR_WORK = 15;

/**
 * Per validator a changed vote may move out of its old option: a running sum read and written for each the
 * PREVIOUS vote named, which the tx itself does not show. Every vote is charged it for MAX_VOTE_VALIDATORS,
 * the most a previous vote can name (work is a pure function of the tx), so a vote naming one that replaces
 * one naming 16 is not under-charged (measured by test/bench/gov-msg-work.ts, block revote-16-to-1).
 */
export const VOTE_UNDO_WORK = 10;

/**
 * Per proposal that may be active (MAX_ACTIVE_PROPOSALS_CAP), on every tx that changes a staker's shares
 * (stake, unstake, create_validator's self-stake): governance's stake hook looks at each active proposal and
 * rewrites the staker's vote naming that validator, with its option's running sum (state/modules/gov/
 * stake-hook.ts). Measured by test/bench/stake-hook-work.ts: with 20 proposals voting, each vote naming the
 * validator, a stake 1,051-1,560 and an unstake 1,157-1,247 units against 129 and 259 charged before (46-72
 * a proposal; three runs of 200 stakers, the second on a busier machine), an unstake 1,999 in a run of 30
 * (87 a proposal); with no vote, 284-346 (~8 a lookup). With 100 proposals (the cap was 100) 5,288 and
 * 8,215. Charged at the cap and the worst case, over the worst run: the tx shows neither how many proposals
 * are active nor whether its sender voted.
 */
export const STAKE_HOOK_WORK = 100;

/** Per attribution weight of a record (each is read and credited). */
export const RECORD_WEIGHT_WORK = 5;

/**
 * Per datanet version a model (or model version) names as trained on: the version read, and a new leaf of
 * the by-datanet index for each datanet (a transfer to a new account's message is charged 70 for its one new
 * leaf). Charged as a flat message before, a register naming 32 took 1,121-1,615 units against 118 charged
 * (an audit helper's measurement, as test/bench/gov-msg-work.ts measures): a block of them 3-5 s.
 */
export const TRAINED_ON_REF_WORK = 70;

/**
 * Per recipient of a multi-send: a credit to an account that may not exist yet (a new leaf), as a transfer's
 * message is charged (measured: test/bench/max-block-check.ts --mix multi-send-new).
 */
export const MULTI_SEND_OUTPUT_WORK = 70;

/** The work one transaction costs (a positive integer; a pure function of the tx). */
export function txWork(tx: DecodedTx): number {
  const msg = tx.body.msg;
  let work = VERIFY_WORK + TX_BASE_WORK + Math.ceil((tx.bytes.byteLength * WORK_PER_KIB) / 1024) + MSG_WORK[msg.type];
  if (msg.type === "record_inference") work += RECORD_WEIGHT_WORK * msg.weights.length;
  if (msg.type === "vote") work += VOTE_VALIDATOR_WORK * msg.validators.length + VOTE_UNDO_WORK * MAX_VOTE_VALIDATORS;
  if (msg.type === "multi_send") work += MULTI_SEND_OUTPUT_WORK * msg.outputs.length;
  if (msg.type === "stake" || msg.type === "unstake" || msg.type === "create_validator") {
    work += STAKE_HOOK_WORK * MAX_ACTIVE_PROPOSALS_CAP;
  }
  if (msg.type === "register_model" || msg.type === "publish_model_version") {
    work += TRAINED_ON_REF_WORK * msg.trainedOn.length;
  }
  return work;
}

/** The work of a list of transactions (a block's, or a proposal's so far). */
export function blockWork(txs: readonly DecodedTx[]): number {
  let work = 0;
  for (const tx of txs) work += txWork(tx);
  return work;
}

/** Why a block of these transactions is over the work budget, or undefined if it is not. */
export function blockWorkProblem(txs: readonly DecodedTx[], params: ChainParams): string | undefined {
  const work = blockWork(txs);
  if (work <= params.maxBlockWork) return undefined;
  return `${work} work units exceed the block limit ${params.maxBlockWork}`;
}
