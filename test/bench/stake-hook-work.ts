// What governance's stake hook adds to a stake or unstake, per tx, in work units (state/work.ts: hundredths of
// one ed25519 verify on one core, measured by this script next to each block, both in CPU time): the
// calibration of STAKE_HOOK_WORK. When a staker's shares with a validator change, each proposal active then is
// looked at, and each vote of that staker naming that validator (on a proposal in its voting period) is
// rewritten with the new shares, with its option's running sum (state/modules/gov/stake-hook.ts).
//
//   npx node test/bench/stake-hook-work.ts [--stakers 200] [--runs 3]
//
// Method as test/bench/gov-msg-work.ts (CheckedBlocks in bench-chain.ts). Setup: 16 validators, every staker
// staked with each; MAX_ACTIVE_PROPOSALS_CAP proposals voting (the most any params allow), and every staker
// voted on each of them naming all 16 validators. Blocks, of `stakers` txs each:
//   transfer           transfers to new accounts (the reference kind)
//   stake-no-votes     a stake with validator 0 by an account that never voted: a vote looked up per proposal
//   stake-all-votes    a stake with validator 0 by a staker whose vote on each active proposal names it: every
//                      vote and running sum rewritten (the worst case)
//   unstake-all-votes  the same stakers unstaking from validator 0
import { parseArgs } from "node:util";
import type { TxMsg } from "../../proto/tx.ts";
import { MAX_VOTE_VALIDATORS } from "../../state/modules/gov/gov.ts";
import { getActiveProposalIds } from "../../state/modules/gov/queries.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { MAX_ACTIVE_PROPOSALS_CAP } from "../../state/params-check.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { benchGenesis, openCheckedBlocks, signedBy, verifyMsEach, workOf } from "./bench-chain.ts";

const { values } = parseArgs({
  options: { stakers: { type: "string", default: "200" }, runs: { type: "string", default: "3" } },
});
const N = Number(values.stakers);
const RUNS = Number(values.runs);
const CHAIN_ID = "opl-stake-hook-1";
const PROPOSALS = MAX_ACTIVE_PROPOSALS_CAP;

const params: ChainParams = {
  ...DEFAULT_PARAMS,
  maxBlockWork: 100_000_000, // the setup blocks are large; the measured blocks are priced per tx
  gov: {
    ...DEFAULT_PARAMS.gov,
    minDeposit: ONE_OPEN, // every proposal votes from its submission
    depositPeriodBlocks: 1_000,
    votingPeriodBlocks: 1_000,
    maxActiveProposals: PROPOSALS,
  },
};

const newAccounts = (n: number) => Array.from({ length: n }, () => new TestAccount());
const validators = newAccounts(MAX_VOTE_VALIDATORS);
const operators = newAccounts(MAX_VOTE_VALIDATORS);
const stakers = newAccounts(N);
const newcomers = newAccounts(N); // never vote
const proposers = newAccounts(PROPOSALS);

const genesis = benchGenesis(
  CHAIN_ID,
  params,
  validators.map((validator, i) => ({ validator, operator: operators[i] })),
  [...stakers, ...newcomers, ...proposers],
);

const signed = (from: TestAccount, msg: TxMsg) => signedBy(CHAIN_ID, from, msg, params.minFee * 10n);
const { blocks, proposer, close } = await openCheckedBlocks(genesis, validators[0], RUNS, "opl-stake-hook-", { requireSuccess: true });

const block = (name: string, txs: Uint8Array[]) => workOf(blocks, name, txs);

/** Setup txs in blocks of at most `per`. */
async function setupBlocks(name: string, txs: Uint8Array[], per = 2_000): Promise<void> {
  for (let i = 0; i < txs.length; i += per) await blocks.check(name, txs.slice(i, i + per));
}

try {
  const verifyUsOneCore = Number((verifyMsEach(CHAIN_ID) * 1000).toFixed(1));
  console.log(JSON.stringify({ stakers: N, proposals: PROPOSALS, runs: RUNS, verifyUsOneCore }));
  const all = operators.map((o) => o.address);
  await setupBlocks("stake", stakers.flatMap((s) => all.map((v) => signed(s, { type: "stake", validator: v, amount: ONE_OPEN }))));
  await blocks.check("proposals", proposers.map((p, i) => signed(p, {
    type: "submit_proposal",
    title: `p${i}`,
    description: "",
    deposit: ONE_OPEN,
    content: { kind: "text" },
  })));
  const ids = getActiveProposalIds(proposer.state);
  if (ids.length !== PROPOSALS) throw new Error(`${ids.length} proposals active, not ${PROPOSALS}`);
  await setupBlocks("votes", stakers.flatMap((s) => ids.map((proposalId) =>
    signed(s, { type: "vote", proposalId, option: "yes", validators: all }))));

  const results = [];
  const transfers = () => stakers.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n }));
  const stake = (from: TestAccount) => signed(from, { type: "stake", validator: all[0], amount: ONE_OPEN });
  // A warm-up block (not reported): the first blocks run colder code than the rest.
  await block("warm-up", transfers());
  results.push(await block("transfer", transfers()));
  results.push(await block("stake-no-votes", newcomers.map(stake)));
  results.push(await block("stake-all-votes", stakers.map(stake)));
  results.push(await block("unstake-all-votes", stakers.map((s) =>
    signed(s, { type: "unstake", validator: all[0], amount: ONE_OPEN }))));
  results.push(await block("transfer", transfers()));
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  await close();
}
