// What one reward credit of a record_inference costs a peer that checks a block of them, in CPU time and in
// ed25519 verifies (one core, measured by this script next to each block): the calibration of
// params.attribution.maxBlockCredits. A record naming a whole datanet version credits each of its
// contributions (up to maxVersionRecipients): each credit reads the contribution and its acceptance-order
// key, and writes the contributor's rewards, the reward-source and earnings keys and the by-contribution
// index (state/modules/attribution/attribution.ts, payouts.ts).
//
//   npx node test/bench/record-credit-work.ts [--records 30] [--runs 2]
//
// Method as test/bench/gov-msg-work.ts: a real ChainApp over LevelDB proposes each block; `runs` peers (each
// its own LevelDB) check it as a block from the network whose signatures they already verified (decode,
// execution and roots), then commit it; an empty block after it is checked the same way and its time (the
// block's fixed cost) taken off. The least of the peers is reported (the others are that plus other
// processes' work). Before each check the process waits until LevelDB's background work is done. ~1 min
// on this machine at the defaults (most of it the setup).
//
// Setup: 3 * records + 1 datanets, each with its own owner (its curator) and 100 (maxVersionRecipients)
// contributions, each from its own contributor, all accepted and published as version 1; models trained on
// them (maxTrainedOn versions each), with the same operators (who send the records); an inference paid for
// every record measured. Then the peers restart (empty caches: every contribution read cold, as a node's
// caches are for versions they long moved on from). Groups of datanets, by their contributions' text:
//   max     maximal: a 1,024-byte uri and 4,096-byte JSON metadata (the datanets params' limits), in 4-byte
//           UTF-8 characters (the costliest text to decode: ~1.7x ASCII of the same bytes here)
//   ascii   maximal, in ASCII
//   small   minimal: a 1-character uri, no metadata
//   one     one datanet of small contributions (the warm-up block's, then a block naming only it)
// Blocks (of `records` records each, every record naming one whole version: 100 credits, fee feePerCredit *
// 100), after a warm-up block of transfers and one of records:
//   transfer             transfers to new accounts (the reference kind)
//   records-one-version  every record names the same version (credited before): its contributions read
//                        once and cached, its keys written once per block (the best case)
//   records-version      each record names another version of `max`: each credit reads cold state and
//                        writes new keys (the worst case)
//   records-ascii, records-small  the same over `ascii`, `small`
//   records-version-again, records-small-again  the same versions credited again (read warm, keys updated)
// Per block: the peers' CPU ms (msPerBlock), per tx and per credit (us, and in verifies), and per credit net of
// a transfer's execution (the record's own part).
import { parseArgs } from "node:util";
import type { TxMsg } from "../../proto/tx.ts";
import { getInference } from "../../state/modules/attribution/attribution.ts";
import { getContribution, getDatanet } from "../../state/modules/datanets/datanets.ts";
import { getModel } from "../../state/modules/models/models.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { benchGenesis, type BenchNode, CheckedBlocks, openBenchNode, signedBy, verifyMsEach } from "./bench-chain.ts";
import { tempDir } from "../helpers/tmp.ts";

const { values } = parseArgs({ options: { records: { type: "string", default: "30" }, runs: { type: "string", default: "2" } } });
const R = Number(values.records);
const RUNS = Number(values.runs);
const CHAIN_ID = "opl-record-credit-1";

const params: ChainParams = {
  ...DEFAULT_PARAMS,
  maxBlockWork: 100_000_000, // the setup blocks are large; the measured blocks are priced per credit
  attribution: {
    ...DEFAULT_PARAMS.attribution,
    inferenceExpiryBlocks: 10_000,
    maxBlockCredits: 100_000_000, // the measured blocks hold records * 100 credits
  },
};
const PER_VERSION = params.attribution.maxVersionRecipients;
const RECORD_FEE = params.attribution.feePerCredit * BigInt(PER_VERSION);
const PRICE = ONE_OPEN; // every one of 100 parts of the data share positive

// ---- contributions' text ----

interface Text {
  uri: string;
  metadata: string;
  sizeBytes: number;
}
const dn = params.datanets;
/** `unit` repeated to exactly `bytes` UTF-8 bytes (the rest filled with "x"). */
function fill(unit: string, bytes: number): string {
  const each = Buffer.byteLength(unit);
  return unit.repeat(Math.floor(bytes / each)) + "x".repeat(bytes % each);
}
const jsonOf = (unit: string, bytes: number) => `{"m":"${fill(unit, bytes - 8)}"}`;
const maximal = (unit: string): Text => ({
  uri: `ipfs://${fill(unit, dn.maxUriBytes - 7)}`,
  metadata: jsonOf(unit, dn.maxMetadataBytes),
  sizeBytes: Number.MAX_SAFE_INTEGER,
});
const TEXTS = {
  max: maximal("\u{1F600}"),
  ascii: maximal("a"),
  small: { uri: "u", metadata: "", sizeBytes: 0 },
} satisfies Record<string, Text>;
for (const t of [TEXTS.max, TEXTS.ascii]) {
  if (Buffer.byteLength(t.uri) !== dn.maxUriBytes || Buffer.byteLength(t.metadata) !== dn.maxMetadataBytes) {
    throw new Error("a maximal contribution is not at the limits");
  }
}

// ---- accounts and genesis ----

interface Group {
  name: string;
  text: Text;
  owners: TestAccount[];
  /** Datanet ids, in the owners' order (filled in once created). */
  ids: number[];
}
const newAccounts = (n: number) => Array.from({ length: n }, () => new TestAccount());
const groups: Group[] = [
  { name: "max", text: TEXTS.max, owners: newAccounts(R), ids: [] },
  { name: "ascii", text: TEXTS.ascii, owners: newAccounts(R), ids: [] },
  { name: "small", text: TEXTS.small, owners: newAccounts(R), ids: [] },
  { name: "one", text: TEXTS.small, owners: newAccounts(1), ids: [] },
];
const group = (name: string) => groups.find((g) => g.name === name) as Group;
const allOwners = groups.flatMap((g) => g.owners);
const contributors = allOwners.map(() => newAccounts(PER_VERSION));
const MAX_TRAINED_ON = params.models.maxTrainedOn;
const modelOwners = newAccounts(Math.ceil(allOwners.length / MAX_TRAINED_ON));
const operators = newAccounts(Math.min(R, params.models.maxOperators));
const payers = newAccounts(8);
const senders = newAccounts(R); // of the transfers

const validator = new TestAccount();
const validatorOperator = new TestAccount();
const genesis = benchGenesis(
  CHAIN_ID,
  params,
  [{ validator, operator: validatorOperator }],
  [...allOwners, ...contributors.flat(), ...modelOwners, ...operators, ...payers, ...senders],
);

// ---- nodes ----

/** A node over a new database, or (a restart) over the one in `tmp`. */
const openNode = (tmp = tempDir("opl-record-credit-")) => openBenchNode(genesis, tmp);
const signed = (from: TestAccount, msg: TxMsg, fee = params.minFee * 10n) => signedBy(CHAIN_ID, from, msg, fee);

const hash32 = (n: number, tag: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, n);
  h[31] = tag;
  return h;
};

const proposer = await openNode();
const blocks = new CheckedBlocks({
  chainId: CHAIN_ID,
  validator,
  proposer,
  peers: await Promise.all(Array.from({ length: RUNS }, () => openNode())),
  genesisTimeMs: genesis.genesisTimeMs,
  quiet: true,
  requireSuccess: true,
});
const checked = (name: string, txs: Uint8Array[]) => blocks.check(name, txs);

/** Setup txs in blocks of at most `per` (8 MB blocks: ~1,500 maximal contributions). */
async function setupBlocks(name: string, txs: Uint8Array[], per = 1_000): Promise<void> {
  for (let i = 0; i < txs.length; i += per) await checked(name, txs.slice(i, i + per));
}

/** Ids 1..n of a kind, read back from the proposer's state (execution order is the proposer's). */
function idsWhere<T>(n: number, get: (id: number) => T | undefined, keep: (v: T) => boolean): number[] {
  const out: number[] = [];
  for (let id = 1; id <= n; id++) {
    const v = get(id);
    if (v === undefined) throw new Error(`id ${id} does not exist`);
    if (keep(v)) out.push(id);
  }
  return out;
}

// ---- measured blocks ----

interface Result {
  block: string;
  txs: number;
  credits: number;
  msPerBlock: number;
  usPerTx: number;
  usPerCredit: number;
  verifiesPerCredit: number;
  usPerCreditNetOfTransfer?: number;
  verifyUs: number;
}
let transferUsPerTx: number | undefined;

/** A block of `txs` measured (CheckedBlocks.measure), per tx and per credit. */
async function block(name: string, txs: Uint8Array[], creditsPerTx: number): Promise<Result> {
  const { leastMs: least, verifyMs } = await blocks.measure(name, txs);
  const n = txs.length;
  const credits = n * creditsPerTx;
  const usPerTx = (least / n) * 1000;
  const usPerCredit = credits === 0 ? 0 : (least / credits) * 1000;
  return {
    block: name,
    txs: n,
    credits,
    msPerBlock: round(least, 1),
    usPerTx: round(usPerTx, 1),
    usPerCredit: round(usPerCredit, 1),
    verifiesPerCredit: round(usPerCredit / (verifyMs * 1000), 3),
    ...(credits > 0 && transferUsPerTx !== undefined
      ? { usPerCreditNetOfTransfer: round((usPerTx - transferUsPerTx) / creditsPerTx, 1) }
      : {}),
    verifyUs: round(verifyMs * 1000, 1),
  };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Paid inferences not yet recorded, by model id. */
const openInferences = new Map<number, number[]>();
/** The model trained on each datanet. */
const modelOf = new Map<number, number>();

/** One record per datanet named (in turn), each of a paid inference of the model trained on it. */
function records(datanets: number[]): Uint8Array[] {
  return datanets.map((datanetId, i) => {
    const queue = openInferences.get(modelOf.get(datanetId) as number) as number[];
    const inferenceId = queue.shift();
    if (inferenceId === undefined) throw new Error(`no paid inference left for datanet ${datanetId}`);
    return signed(operators[i % operators.length], {
      type: "record_inference",
      inferenceId,
      outputHash: hash32(inferenceId, 9),
      weights: [{ contributionId: 0, datanetId, version: 1, ppm: 1_000_000 }],
    }, RECORD_FEE);
  });
}

const transfers = () => senders.map((s) => signed(s, { type: "transfer", to: new TestAccount().address, amount: 1n }));

try {
  const t0 = performance.now();
  const verifyUsOneCore = round(verifyMsEach(CHAIN_ID) * 1000, 1);
  console.log(JSON.stringify({ records: R, runs: RUNS, creditsPerRecord: PER_VERSION, verifyUsOneCore }));
  // Datanets, one per owner.
  await checked("create datanets", allOwners.map((o, i) => signed(o, {
    type: "create_datanet",
    name: `d${i}`,
    description: "",
    license: "",
    curators: [],
    contributionStake: ONE_OPEN / 1000n,
    reviewFee: 0n,
    allowListed: false,
    contributors: [],
  })));
  const datanetOf = new Map<string, number>();
  idsWhere(allOwners.length, (id) => getDatanet(proposer.state, id), () => true)
    .forEach((id) => datanetOf.set(getDatanet(proposer.state, id)?.owner.toString() as string, id));
  for (const g of groups) g.ids = g.owners.map((o) => datanetOf.get(o.address.toString()) as number);
  // Contributions, 100 per datanet, each from its own contributor.
  const contributes: Uint8Array[] = [];
  let k = 0;
  for (const g of groups) {
    g.owners.forEach((o, i) => {
      for (const c of contributors[allOwners.indexOf(o)]) {
        contributes.push(signed(c, { type: "contribute", datanetId: g.ids[i], contentHash: hash32(++k, 1), ...g.text }));
      }
    });
  }
  await setupBlocks("contribute", contributes);
  // Each owner accepts its datanet's contributions and publishes version 1.
  const byDatanet = new Map<number, number[]>();
  for (const id of idsWhere(k, (id) => getContribution(proposer.state, id), () => true)) {
    const d = getContribution(proposer.state, id)?.datanetId as number;
    byDatanet.set(d, [...(byDatanet.get(d) ?? []), id]);
  }
  const reviews: Uint8Array[] = [];
  for (const g of groups) {
    g.owners.forEach((o, i) => {
      for (const contributionId of byDatanet.get(g.ids[i]) ?? []) {
        reviews.push(signed(o, { type: "review_contribution", contributionId, accept: true }));
      }
      reviews.push(signed(o, { type: "publish_version", datanetId: g.ids[i] }));
    });
  }
  await setupBlocks("review and publish", reviews, (PER_VERSION + 1) * 10);
  // Models, each trained on up to maxTrainedOn of the versions; then their operators.
  const allIds = groups.flatMap((g) => g.ids);
  await checked("register models", modelOwners.map((m, i) => signed(m, {
    type: "register_model",
    name: `m${i}`,
    kind: "model",
    parentId: 0,
    baseModel: "base",
    weightsHash: hash32(i, 2),
    uri: "ipfs://weights",
    trainedOn: allIds.slice(i * MAX_TRAINED_ON, (i + 1) * MAX_TRAINED_ON)
      .map((datanetId) => ({ datanetId, version: 1 })),
    price: PRICE,
  })));
  const modelIds = idsWhere(modelOwners.length, (id) => getModel(proposer.state, id), () => true);
  for (const id of modelIds) {
    const m = getModel(proposer.state, id);
    for (const ref of m?.trainedOn ?? []) modelOf.set(ref.datanetId, id);
  }
  const ownerOf = (id: number) => {
    const owner = getModel(proposer.state, id)?.owner.toString();
    return modelOwners.find((o) => o.address.toString() === owner) as TestAccount;
  };
  await checked("set operators", modelIds.map((id) => signed(ownerOf(id), {
    type: "set_model_operators",
    modelId: id,
    add: operators.map((o) => o.address),
    remove: [],
  })));
  // The records to measure, by block, and an inference paid for each.
  const plan: [string, number[]][] = [
    ["warm-up (records)", Array(R).fill(group("one").ids[0])],
    ["records-one-version", Array(R).fill(group("one").ids[0])],
    ["records-version", group("max").ids],
    ["records-ascii", group("ascii").ids],
    ["records-small", group("small").ids],
    ["records-version-again", group("max").ids],
    ["records-small-again", group("small").ids],
  ];
  const pays = plan.flatMap(([, ds]) => ds).map((d, i) => signed(payers[i % payers.length], {
    type: "pay_inference",
    modelId: modelOf.get(d) as number,
    requestHash: hash32(i, 3),
    maxPrice: PRICE,
  }));
  await checked("pay", pays);
  for (const id of idsWhere(pays.length, (id) => getInference(proposer.state, id), () => true)) {
    const m = getInference(proposer.state, id)?.modelId as number;
    openInferences.set(m, [...(openInferences.get(m) ?? []), id]);
  }
  console.log(JSON.stringify({ setupSeconds: round((performance.now() - t0) / 1000, 1), contributions: k }));
  // The peers restart: their caches (values, tree nodes, LevelDB's blocks) empty, as on a node whose caches
  // long since moved on from these contributions, so every group's are read cold. Otherwise the last ones
  // written are still cached (64 MB of values, 64 MB of tree nodes) and the first ones not: the group set up
  // first measured ~2x the cost of the next.
  const restarted: BenchNode[] = [];
  for (const p of blocks.peers) {
    await p.close(true);
    restarted.push(await openNode(p.tmp));
  }
  blocks.peers = restarted;

  const results: Result[] = [];
  // Warm-up blocks (not reported): the first blocks run colder code than the rest.
  await block("warm-up", transfers(), 0);
  const reference = await block("transfer", transfers(), 0);
  transferUsPerTx = reference.usPerTx;
  results.push(reference);
  for (const [name, ds] of plan) {
    const r = await block(name, records(ds), PER_VERSION);
    if (!name.startsWith("warm-up")) results.push(r);
  }
  results.push(await block("transfer", transfers(), 0));
  for (const r of results) console.log(JSON.stringify(r));
  console.log(JSON.stringify({ totalSeconds: round((performance.now() - t0) / 1000, 1) }));
} finally {
  await proposer.close();
  for (const p of blocks.peers) await p.close();
}
