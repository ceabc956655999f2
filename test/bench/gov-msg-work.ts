// What the governance messages cost a peer that checks a block of them, per tx, in work units (state/work.ts:
// hundredths of one ed25519 verify on one core, measured by this script next to each block, both in CPU time), next to a block of
// transfers to new accounts (the kind MSG_WORK was first calibrated on) measured the same way: the
// calibration of MSG_WORK.submit_proposal / deposit / vote and VOTE_VALIDATOR_WORK.
//
//   npx node test/bench/gov-msg-work.ts [--txs 300] [--runs 3]
//
// A real ChainApp over LevelDB proposes each block; `runs` peers (each its own LevelDB) check it as a block
// from the network whose signatures they already verified (so the time is decode, execution and roots, the
// part MSG_WORK prices; the verify is VERIFY_WORK), then commit it. The least of the peers is reported (the others are that plus other processes' work). Blocks:
//   setup      stakers stake with each of 16 validators; proposals opened (two voting, some in deposit)
//   vote-1     a staker's vote naming one validator
//   vote-16    naming 16 (MAX_VOTE_VALIDATORS): a delegation read and a running-sum write each
//   revote-16  the same voters changing their option: each named validator's sum moved out and in
//   revote-16-to-1  changing again, naming one: 16 sums moved out, one in
//   deposit    deposits to proposals in their deposit period (MAX_DEPOSITORS each)
//   submit     params-change proposals at every size limit (16 changes, longest title and description)
//   transfer   transfers to new accounts (the reference kind)
import { parseArgs } from "node:util";
import type { TxMsg } from "../../proto/tx.ts";
import { MAX_DEPOSITORS, MAX_DESCRIPTION_BYTES, MAX_PARAM_CHANGES, MAX_TITLE_BYTES, MAX_VOTE_VALIDATORS }
  from "../../state/modules/gov/gov.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { MAX_ACTIVE_PROPOSALS_CAP, paramsToJson } from "../../state/params-check.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { benchGenesis, openCheckedBlocks, signedBy, verifyMsEach, workOf } from "./bench-chain.ts";

const { values } = parseArgs({ options: { txs: { type: "string", default: "300" }, runs: { type: "string", default: "3" } } });
const N = Number(values.txs);
const RUNS = Number(values.runs);
const CHAIN_ID = "opl-gov-work-1";

const params: ChainParams = {
  ...DEFAULT_PARAMS,
  maxBlockWork: 100_000_000, // the setup block is large; the measured blocks are priced per tx
  gov: {
    ...DEFAULT_PARAMS.gov,
    minDeposit: 1_000_000n * ONE_OPEN, // deposits never end a deposit period here
    depositPeriodBlocks: 1_000,
    votingPeriodBlocks: 1_000,
    maxActiveProposals: MAX_ACTIVE_PROPOSALS_CAP,
  },
};

const validators = Array.from({ length: MAX_VOTE_VALIDATORS }, () => new TestAccount());
const operators = validators.map(() => new TestAccount());
const stakers = Array.from({ length: N }, () => new TestAccount());
const DEPOSIT_PROPOSALS = Math.ceil(N / MAX_DEPOSITORS);
/** Of the submit block: as many more as the active proposals may be. */
const proposers = Array.from({ length: MAX_ACTIVE_PROPOSALS_CAP - 2 - DEPOSIT_PROPOSALS }, () => new TestAccount());
if (proposers.length < 1) throw new Error(`--txs leaves no room for proposals under ${MAX_ACTIVE_PROPOSALS_CAP} active`);

const genesis = benchGenesis(
  CHAIN_ID,
  params,
  validators.map((validator, i) => ({ validator, operator: operators[i] })),
  [...stakers, ...proposers],
);

const text = (kind: "text") => ({ kind });
const submit = (title: string, deposit: bigint, content: TxMsg & { type: "submit_proposal" } extends { content: infer C } ? C : never): TxMsg =>
  ({ type: "submit_proposal", title, description: "", deposit, content });

/** 16 changes, each of a number param to its current value (valid, and as costly to check as any). */
function maximalChanges() {
  const json = paramsToJson(params);
  const keys: string[] = [];
  for (const [section, v] of Object.entries(json)) {
    if (typeof v !== "object" || v === null) continue;
    for (const [k, x] of Object.entries(v)) if (typeof x === "number") keys.push(`${section}.${k}`);
  }
  return keys.slice(0, MAX_PARAM_CHANGES).map((key) => {
    const [s, k] = key.split(".");
    return { key, value: String((json[s] as Record<string, unknown>)[k]) };
  });
}

const signed = (from: TestAccount, msg: TxMsg) => signedBy(CHAIN_ID, from, msg, params.minFee * 10n);
const { blocks, close } = await openCheckedBlocks(genesis, validators[0], RUNS, "opl-gov-work-");
const checked = (name: string, txs: Uint8Array[]) => blocks.check(name, txs);

const block = (name: string, txs: Uint8Array[]) => workOf(blocks, name, txs);

try {
  const verifyUsOneCore = Number((verifyMsEach(CHAIN_ID) * 1000).toFixed(1));
  console.log(JSON.stringify({ txs: N, runs: RUNS, verifyUsOneCore }));
  // Setup: every staker stakes with each validator; two proposals voting, DEPOSIT_PROPOSALS in deposit.
  const setup: Uint8Array[] = [];
  for (const s of stakers) for (const op of operators) setup.push(signed(s, { type: "stake", validator: op.address, amount: ONE_OPEN }));
  setup.push(signed(operators[1], submit("x", params.gov.minDeposit, text("text"))));
  setup.push(signed(operators[2], submit("y", params.gov.minDeposit, text("text"))));
  for (let i = 0; i < DEPOSIT_PROPOSALS; i++) setup.push(signed(operators[3 + i], submit(`d${i}`, ONE_OPEN, text("text"))));
  await checked("setup", setup);
  const all = operators.map((o) => o.address);
  const results = [];
  // A warm-up block (not reported): the first blocks run colder code than the rest.
  await block("warm-up", stakers.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n })));
  results.push(await block("transfer", stakers.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n }))));
  results.push(await block("vote-1", stakers.map((s) => signed(s, { type: "vote", proposalId: 1, option: "yes", validators: [all[0]] }))));
  results.push(await block("vote-16", stakers.map((s) => signed(s, { type: "vote", proposalId: 2, option: "yes", validators: all }))));
  results.push(await block("revote-16", stakers.map((s) => signed(s, { type: "vote", proposalId: 2, option: "no_with_veto", validators: all }))));
  // The same voters changing again, now naming one: 16 sums moved out, one in (the undo a vote pays statically).
  results.push(await block("revote-16-to-1", stakers.map((s) => signed(s, { type: "vote", proposalId: 2, option: "yes", validators: [all[0]] }))));
  results.push(await block("deposit", stakers.map((s, i) => signed(s, { type: "deposit", proposalId: 3 + Math.floor(i / MAX_DEPOSITORS), amount: ONE_OPEN }))));
  const changes = maximalChanges();
  results.push(await block("submit", proposers.map((p, i) => signed(p, {
    type: "submit_proposal",
    title: `${i}`.padEnd(MAX_TITLE_BYTES, "t"),
    description: "d".repeat(MAX_DESCRIPTION_BYTES),
    deposit: ONE_OPEN,
    content: { kind: "params", changes },
  }))));
  results.push(await block("transfer", stakers.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n }))));
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  await close();
}
