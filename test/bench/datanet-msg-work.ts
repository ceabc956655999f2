// What the datanet messages that rewrite their datanet's record cost a peer that checks a block of them, per
// tx, in work units (state/work.ts: hundredths of one ed25519 verify on one core, measured by this script next
// to each block, both in CPU time), on the largest datanets the params allow and on the smallest: the
// calibration of MSG_WORK.contribute / review_contribution / publish_version. Each of them reads its datanet
// and writes it back whole with one counter changed (contribution, accepted or version count), and a datanet
// at the limits (a 4 KiB description, 32 curators, 256 listed contributors, name and license at theirs) is
// ~10 KB: decoded, encoded and hashed into the state tree by every such tx.
//
//   npx node test/bench/datanet-msg-work.ts [--datanets 40] [--per 10] [--runs 3]
//
// Method as test/bench/gov-msg-work.ts (CheckedBlocks in bench-chain.ts): a real ChainApp over LevelDB
// proposes each block; `runs` peers check it as a block from the network whose signatures they already
// verified, then commit it; an empty block after it is checked the same way and its time taken off; the least
// of the peers. Blocks, each of `datanets` * `per` txs (publish: one per datanet):
//   transfer           transfers to new accounts (the reference kind)
//   contribute-max     `per` contributions to each maximal datanet, each from a listed contributor
//   contribute-small   the same to minimal datanets (no text, no curators, no allow list)
//   review-max, review-small   each of those contributions accepted by the datanet's owner
//   publish-max, publish-small  a version published of each datanet
import { parseArgs } from "node:util";
import type { TxMsg } from "../../proto/tx.ts";
import { getContribution, getDatanet } from "../../state/modules/datanets/datanets.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { benchGenesis, openCheckedBlocks, signedBy, verifyMsEach, workOf } from "./bench-chain.ts";

const { values } = parseArgs({
  options: {
    datanets: { type: "string", default: "40" },
    per: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
  },
});
const D = Number(values.datanets);
const PER = Number(values.per);
const RUNS = Number(values.runs);
const CHAIN_ID = "opl-datanet-work-1";

const params: ChainParams = { ...DEFAULT_PARAMS, maxBlockWork: 100_000_000 }; // the setup blocks are large
const dn = params.datanets;
if (PER > dn.maxContributors) throw new Error(`--per is at most ${dn.maxContributors}: each contributor is listed`);

const newAccounts = (n: number) => Array.from({ length: n }, () => new TestAccount());
const validator = new TestAccount();
const validatorOperator = new TestAccount();
const maxOwners = newAccounts(D);
const smallOwners = newAccounts(D);
/** Per maximal datanet, its listed contributors: the first `PER` of them contribute. */
const listed = maxOwners.map(() => newAccounts(dn.maxContributors));
const smallContributors = smallOwners.map(() => newAccounts(PER));
const senders = newAccounts(D * PER); // of the transfers

const genesis = benchGenesis(
  CHAIN_ID,
  params,
  [{ validator, operator: validatorOperator }],
  [...maxOwners, ...smallOwners, ...listed.flatMap((l) => l.slice(0, PER)), ...smallContributors.flat(), ...senders],
);

const signed = (from: TestAccount, msg: TxMsg) => signedBy(CHAIN_ID, from, msg, params.minFee * 10n);
const { blocks, proposer, close } = await openCheckedBlocks(genesis, validator, RUNS, "opl-datanet-work-", { requireSuccess: true });

const block = (name: string, txs: Uint8Array[]) => workOf(blocks, name, txs);

/** `unit` repeated to exactly `bytes` UTF-8 bytes (the rest filled with "x"): 4-byte characters decode slowest. */
function fill(unit: string, bytes: number): string {
  const each = Buffer.byteLength(unit);
  return unit.repeat(Math.floor(bytes / each)) + "x".repeat(bytes % each);
}

const create = (owner: TestAccount, i: number, max: boolean): TxMsg => ({
  type: "create_datanet",
  name: max ? fill("\u{1F600}", dn.maxNameBytes - 8) + String(i).padStart(8, "0") : `s${i}`,
  description: max ? fill("\u{1F600}", dn.maxDescriptionBytes) : "",
  license: max ? fill("\u{1F600}", dn.maxLicenseBytes) : "",
  curators: max ? newAccounts(dn.maxCurators).map((a) => a.address) : [],
  contributionStake: ONE_OPEN / 1000n,
  reviewFee: 0n,
  allowListed: max,
  contributors: max ? listed[i].map((a) => a.address) : [],
});

const hash32 = (n: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, n);
  return h;
};
let contentSeq = 0;
const contribute = (from: TestAccount, datanetId: number) =>
  signed(from, { type: "contribute", datanetId, contentHash: hash32(++contentSeq), uri: "u", sizeBytes: 1, metadata: "" });

try {
  const verifyUsOneCore = Number((verifyMsEach(CHAIN_ID) * 1000).toFixed(1));
  console.log(JSON.stringify({ datanets: D, per: PER, runs: RUNS, verifyUsOneCore }));
  await blocks.check("create datanets", [
    ...maxOwners.map((o, i) => signed(o, create(o, i, true))),
    ...smallOwners.map((o, i) => signed(o, create(o, i, false))),
  ]);
  // Datanet ids by owner (execution order is the proposer's).
  const idOf = new Map<string, number>();
  for (let id = 1; id <= 2 * D; id++) idOf.set(getDatanet(proposer.state, id)!.owner.toString(), id);
  const maxIds = maxOwners.map((o) => idOf.get(o.address.toString())!);
  const smallIds = smallOwners.map((o) => idOf.get(o.address.toString())!);
  const record = getDatanet(proposer.state, maxIds[0])!;
  if (record.contributors.length !== dn.maxContributors || record.curators.length !== dn.maxCurators) {
    throw new Error("a maximal datanet is not at the limits");
  }

  const results = [];
  const transfers = () => senders.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n }));
  // A warm-up block (not reported): the first blocks run colder code than the rest.
  await block("warm-up", transfers());
  results.push(await block("transfer", transfers()));
  const firstContribution = contentSeq + 1;
  results.push(await block("contribute-max", maxIds.flatMap((id, i) => listed[i].slice(0, PER).map((c) => contribute(c, id)))));
  results.push(await block("contribute-small", smallIds.flatMap((id, i) => smallContributors[i].map((c) => contribute(c, id)))));
  // Each contribution accepted by its datanet's owner, the maximal datanets' first.
  const reviews = (ids: number[], owners: TestAccount[]) => {
    const txs: Uint8Array[] = [];
    for (let id = firstContribution; id <= contentSeq; id++) {
      const c = getContribution(proposer.state, id)!;
      const k = ids.indexOf(c.datanetId);
      if (k >= 0) txs.push(signed(owners[k], { type: "review_contribution", contributionId: id, accept: true }));
    }
    return txs;
  };
  results.push(await block("review-max", reviews(maxIds, maxOwners)));
  results.push(await block("review-small", reviews(smallIds, smallOwners)));
  results.push(await block("publish-max", maxIds.map((id, i) => signed(maxOwners[i], { type: "publish_version", datanetId: id }))));
  results.push(await block("publish-small", smallIds.map((id, i) => signed(smallOwners[i], { type: "publish_version", datanetId: id }))));
  results.push(await block("transfer", transfers()));
  for (const r of results) console.log(JSON.stringify(r));
} finally {
  await close();
}
