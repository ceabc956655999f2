/**
 * Writes test/vectors/known-answers.json: fixed inputs and what today's code derives from them
 * (`npx node test/vectors/generate.ts`); the tests never run it, they recompute from the file's inputs and
 * compare. When the file exists it only adds the vectors the file does not have yet, keeping every answer there
 * byte for byte, and refuses to run if today's code answers one of them differently: a changed answer is a
 * consensus-breaking change of encoding (every node, wallet and signed message of the chain disagrees), so
 * rewriting answers takes `--overwrite` and a new version of the rule in the spec (docs/SPEC.md).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { privateKeyFromRaw, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { concatBytes, toBase64, toHex, utf8 } from "../../crypto/bytes.ts";
import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { merkleFrontierAppend } from "../../crypto/merkle.ts";
import { decodeCommit, decodeValidatorSet } from "../../proto/block.ts";
import { MAX_AMOUNT } from "../../proto/codec.ts";
import { PRECOMMIT, PREVOTE } from "../../proto/consensus.ts";
import { contributionCodec, inferenceCodec, inferencePayoutsCodec, modelCodec } from "../../proto/module-records.ts";
import type { TxBody } from "../../proto/tx.ts";
import { VOTE_OPTION_NUMBER } from "../../proto/gov-msgs.ts";
import type { Proposal } from "../../proto/gov-records.ts";
import { SOURCE_KIND } from "../../state/keys.ts";
import type { ChainParams } from "../../state/params.ts";
import { possessionSignBytes } from "../../state/modules/staking/staking.ts";
import { entryValue, type RecordEntry } from "./module-answers.ts";
import {
  answers,
  fromJsonValue,
  hexBytes,
  type KeyVector,
  toJsonValue,
  type Vector,
  type VectorFile,
  type VectorInput,
} from "./known-answers.ts";

const OUT = join(import.meta.dirname, "known-answers.json");
const CHAIN_ID = "opl-kat-1";
const OPEN = 10n ** 18n;

/** RFC 8032 section 7.1, TEST 1 and TEST 2: the published key, message and signature. */
const RFC8032 = {
  test1: {
    secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  test2: {
    secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
};

/** The chain's keys: secret seeds sha256("OPL known-answer key <name>"), fixed forever by this file. */
const keys: Record<string, KeyVector> = {
  "rfc8032-test1": { secretKey: RFC8032.test1.secretKey },
  "rfc8032-test2": { secretKey: RFC8032.test2.secretKey },
};
for (const name of ["alice", "bob", "validator-0", "validator-1", "validator-2", "validator-3"]) {
  keys[name] = { secretKey: toHex(sha256(utf8(`OPL known-answer key ${name}`))) };
}
const secret = (name: string) => hexBytes(keys[name].secretKey);
const pubkey = (name: string) => publicKeyOf(secret(name));
const address = (name: string) => addressFromPublicKey(pubkey(name));
const label = (text: string) => sha256(utf8(`OPL known-answer ${text}`));

const vectors: Vector[] = [];
const expected = new Map<string, Record<string, string>>();
function add(name: string, about: string, input: VectorInput): Record<string, string> {
  const expect = Object.fromEntries(answers(input, keys));
  vectors.push({ name, about, input: toJsonValue(input), expect });
  expected.set(name, expect);
  return expect;
}

// ---- keys, addresses and the signature scheme ----

for (const name of Object.keys(keys)) add(`key/${name}`, `the public key and address of key "${name}"`, { kind: "key", key: name });
for (const [name, t] of Object.entries(RFC8032)) {
  const v = add(`ed25519/rfc8032-${name}`, `RFC 8032 section 7.1 ${name.toUpperCase()}: ed25519 itself`, {
    kind: "ed25519",
    key: `rfc8032-${name}`,
    message: hexBytes(t.message),
  });
  const key = expected.get(`key/rfc8032-${name}`);
  if (v["ED25519-SIGNATURE"] !== t.signature || key?.["PUBLIC-KEY"] !== t.publicKey) {
    throw new Error(`ed25519 does not give RFC 8032's ${name}: refusing to write vectors`);
  }
}

// ---- transactions: one of each shape that matters ----

const envelope = { chainId: CHAIN_ID, senderPubkey: pubkey("alice") };
const txs: [string, string, TxBody][] = [
  ["tx/transfer", "a transfer of 1.5 OPEN; nonce 0 is omitted from the body (a default value)",
    { ...envelope, nonce: 0, fee: 1000n, msg: { type: "transfer", to: address("bob"), amount: 3n * OPEN / 2n } }],
  ["tx/transfer-extremes", "a transfer of the largest amount (32 bytes of 0xff), no fee (omitted), nonce 300 (a two-byte varint)",
    { ...envelope, nonce: 300, fee: 0n, msg: { type: "transfer", to: address("bob"), amount: MAX_AMOUNT } }],
  ["tx/create-validator", "a validator registration carrying its proof of possession (see possession/alice-validator-3)",
    { ...envelope, nonce: 1, fee: 5000n, msg: {
      type: "create_validator",
      consensusPubkey: pubkey("validator-3"),
      moniker: "kat validator \u2713",
      selfStake: 1000n * OPEN,
      consensusSignature: signPortable(possessionSignBytes(CHAIN_ID, address("alice")), secret("validator-3")),
    } }],
  ["tx/create-datanet", "a datanet with curators, an allow list, a stake and a review fee",
    { ...envelope, nonce: 2, fee: 5000n, msg: {
      type: "create_datanet",
      name: "kat-corpus",
      description: "A corpus for known answers",
      license: "CC-BY-4.0",
      curators: [address("bob")],
      contributionStake: 10n * OPEN,
      reviewFee: OPEN,
      allowListed: true,
      contributors: [address("alice"), address("bob")],
    } }],
  ["tx/contribute", "a datanet contribution",
    { ...envelope, nonce: 3, fee: 2000n, msg: {
      type: "contribute",
      datanetId: 1,
      contentHash: label("contribution content"),
      uri: "ipfs://bafykatcontribution",
      sizeBytes: 1_048_576,
      metadata: "{\"lang\":\"en\",\"rows\":1000}",
    } }],
  ["tx/register-model", "a model registration: an adapter of model 7 trained on two datanet versions",
    { ...envelope, nonce: 4, fee: 3000n, msg: {
      type: "register_model",
      name: "kat-adapter",
      kind: "adapter",
      parentId: 7,
      baseModel: "llama-3-8b",
      weightsHash: label("model weights"),
      uri: "https://models.example/kat-adapter",
      trainedOn: [{ datanetId: 1, version: 1 }, { datanetId: 2, version: 3 }],
      price: 5n * OPEN / 100n,
    } }],
  ["tx/pay-inference", "an inference paid for (escrowed up to a max price)",
    { ...envelope, nonce: 5, fee: 1000n, msg: {
      type: "pay_inference",
      modelId: 7,
      requestHash: label("inference request"),
      maxPrice: OPEN / 10n,
    } }],
  ["tx/record-inference", "an inference recorded with its attribution weights (a contribution, a datanet version)",
    { ...envelope, nonce: 6, fee: 1000n, msg: {
      type: "record_inference",
      inferenceId: 42,
      outputHash: label("inference output"),
      weights: [
        { contributionId: 3, datanetId: 0, version: 0, ppm: 600_000 },
        { contributionId: 0, datanetId: 1, version: 2, ppm: 400_000 },
      ],
    } }],
  ["tx/claim-rewards", "a message with no fields (an empty sub-message is still present)",
    { ...envelope, nonce: 7, fee: 1000n, msg: { type: "claim_rewards" } }],
];
for (const [name, about, body] of txs) add(name, about, { kind: "tx", key: "alice", body });

// ---- consensus: votes, proposals, the proof of possession ----

const votedBlock = label("voted block");
const vote = (type: typeof PREVOTE | typeof PRECOMMIT, round: number, blockHash: Uint8Array) => ({
  type, height: 1_234_567, round, blockHash, timeMs: 1_796_000_000_000 + round, validatorAddress: address("validator-1"),
});
const votes: [string, string, ReturnType<typeof vote>][] = [
  ["vote/prevote", "a prevote for a block in round 0 (round omitted)", vote(PREVOTE, 0, votedBlock)],
  ["vote/precommit", "a precommit for a block in round 2", vote(PRECOMMIT, 2, votedBlock)],
  ["vote/prevote-nil", "a prevote for nil (no block hash)", vote(PREVOTE, 1, new Uint8Array(0))],
  ["vote/precommit-nil", "a precommit for nil", vote(PRECOMMIT, 3, new Uint8Array(0))],
];
for (const [name, about, v] of votes) add(name, about, { kind: "vote", key: "validator-1", chainId: CHAIN_ID, vote: v });

const proposal = (round: number, polRound: number) => ({
  height: 1_234_567, round, polRound, blockHash: votedBlock, timeMs: 1_796_000_000_500, proposerAddress: address("validator-2"),
});
add("proposal/fresh", "a proposal with no proof-of-lock round (pol_round -1, zigzag 1)",
  { kind: "proposal", key: "validator-2", chainId: CHAIN_ID, proposal: proposal(0, -1) });
add("proposal/re-proposal", "a valid value proposed again in round 3 with its polka round 1",
  { kind: "proposal", key: "validator-2", chainId: CHAIN_ID, proposal: proposal(3, 1) });

add("possession/alice-validator-3", "validator-3's consensus key claimed by operator alice (the signature in tx/create-validator)",
  { kind: "possession", key: "validator-3", chainId: CHAIN_ID, operator: address("alice") });

// ---- blocks: validator set, txs root, headers, commits ----

// In the set's order (state/modules/staking/validator-set.ts computeValidatorSet): power descending, then address ascending.
const set = add("validator-set/three", "validators 2, 0 and 1 with powers 300, 10 and 10 (the tie ordered by address)", {
  kind: "validator-set",
  validators: [{ key: "validator-2", power: 300 }, { key: "validator-0", power: 10 }, { key: "validator-1", power: 10 }],
});

const signedTx = (name: string) => hexBytes(expected.get(name)?.["SIGNED-TX"] ?? "");
add("txs-root/none", "no txs: sha256 of nothing", { kind: "txs-root", txs: [] });
add("txs-root/one", "one tx: its hash is the root", { kind: "txs-root", txs: [signedTx("tx/transfer")] });
const three = add("txs-root/three", "three txs: the odd last node is carried up unchanged",
  { kind: "txs-root", txs: [signedTx("tx/transfer"), signedTx("tx/contribute"), signedTx("tx/register-model")] });
add("txs-root/four", "four txs: a full tree of two levels",
  { kind: "txs-root", txs: [signedTx("tx/transfer"), signedTx("tx/contribute"), signedTx("tx/register-model"), signedTx("tx/pay-inference")] });

add("results-root/none", "no txs: sha256 of nothing", { kind: "results-root", results: [] });
const results = add("results-root/three", "a success with events, a failure with a log, a success with an empty event", {
  kind: "results-root",
  results: [
    { code: 0, log: "", events: [{ type: "transfer", attributes: [{ key: "amount", value: "1500000000000000000" }, { key: "note", value: "caf\u00e9" }] }] },
    { code: 5, log: "nonce 7 expected, got 9", events: [] },
    { code: 0, log: "", events: [{ type: "", attributes: [] }] },
  ],
});
add("evidence-root/none", "no evidence: sha256 of nothing", { kind: "evidence-root", key: "validator-1", chainId: CHAIN_ID, conflicts: [] });
const evidence = add("evidence-root/two", "validator-1's two conflicting prevotes, and two conflicting precommits (one nil)", {
  kind: "evidence-root",
  key: "validator-1",
  chainId: CHAIN_ID,
  conflicts: [
    [vote(PREVOTE, 0, votedBlock), vote(PREVOTE, 0, label("another block"))],
    [vote(PRECOMMIT, 2, votedBlock), vote(PRECOMMIT, 2, new Uint8Array(0))],
  ],
});

add("state-root/empty", "the empty tree: 32 zero bytes", { kind: "state-root", accounts: [] });
add("state-root/one", "one account: the root is its leaf", {
  kind: "state-root",
  accounts: [{ address: address("alice"), nonce: 1, balance: 5n }],
});
const state = add("state-root/bank", "three accounts and the supply", {
  kind: "state-root",
  accounts: [
    { address: address("alice"), nonce: 7, balance: 1234n * OPEN },
    { address: address("bob"), nonce: 0, balance: 1n },
    { address: address("validator-0"), nonce: 300, balance: MAX_AMOUNT - 1234n * OPEN - 1n },
  ],
  supply: MAX_AMOUNT,
});

const noCommit = add("commit/none", "the first block has no last commit: sha256 of nothing", { kind: "no-commit" });
add("header/first", "the first block's header: no last block hash (omitted), the empty commit's hash", {
  kind: "header",
  header: {
    chainId: CHAIN_ID,
    height: 1,
    timeMs: 1_796_000_000_000,
    lastBlockHash: new Uint8Array(0),
    lastCommitHash: hexBytes(noCommit["COMMIT-HASH"]),
    txsRoot: hexBytes(three["TXS-ROOT"]),
    stateRoot: label("state root 1"),
    resultsRoot: label("results root 1"),
    validatorsHash: hexBytes(set["VALIDATORS-HASH"]),
    nextValidatorsHash: hexBytes(set["VALIDATORS-HASH"]),
    proposerAddress: address("validator-2"),
    evidenceRoot: sha256(),
  },
});
const commit = add("commit/three-signatures", "the precommits of validators 0, 1 and 2 for a block at height 1234567, round 2", {
  kind: "commit",
  chainId: CHAIN_ID,
  height: 1_234_567,
  round: 2,
  blockHash: votedBlock,
  signers: [{ key: "validator-0", timeMs: 1_796_000_001_000 }, { key: "validator-1", timeMs: 1_796_000_001_002 },
    { key: "validator-2", timeMs: 1_796_000_000_999 }],
});
add("header/later", "a later header: every field set, the last commit's hash from commit/three-signatures", {
  kind: "header",
  header: {
    chainId: CHAIN_ID,
    height: 1_234_568,
    timeMs: 1_796_000_001_500,
    lastBlockHash: votedBlock,
    lastCommitHash: hexBytes(commit["COMMIT-HASH"]),
    txsRoot: hexBytes(three["TXS-ROOT"]),
    stateRoot: hexBytes(state["STATE-ROOT"]),
    resultsRoot: hexBytes(results["RESULTS-ROOT"]),
    validatorsHash: hexBytes(set["VALIDATORS-HASH"]),
    nextValidatorsHash: label("next validators"),
    proposerAddress: address("validator-0"),
    evidenceRoot: hexBytes(evidence["EVIDENCE-ROOT"]),
  },
});

// ---- added later: every module message, the module state, the datanet tree, key files, JSON views ----
// (New vectors go below; the generator adds them to the file and keeps every answer already there.)

const moreTxs: [string, string, TxBody][] = [
  ["tx/stake", "a stake of 250 OPEN with validator alice",
    { ...envelope, nonce: 8, fee: 1000n, msg: { type: "stake", validator: address("alice"), amount: 250n * OPEN } }],
  ["tx/unstake", "an unstake of 0.000000000000000001 OPEN (one base unit)",
    { ...envelope, nonce: 9, fee: 1000n, msg: { type: "unstake", validator: address("alice"), amount: 1n } }],
  ["tx/unjail", "an unjail (an empty message)", { ...envelope, nonce: 10, fee: 1000n, msg: { type: "unjail" } }],
  ["tx/update-datanet", "new settings for datanet 1: no curators, no stake, not allow-listed (all omitted)",
    { ...envelope, nonce: 11, fee: 1000n, msg: {
      type: "update_datanet",
      datanetId: 1,
      description: "Updated",
      license: "CC0-1.0",
      curators: [],
      contributionStake: 0n,
      reviewFee: 0n,
      allowListed: false,
      contributors: [],
    } }],
  ["tx/review-accept", "contribution 3 accepted", { ...envelope, nonce: 12, fee: 1000n, msg: { type: "review_contribution", contributionId: 3, accept: true } }],
  ["tx/review-reject", "contribution 4 rejected (accept false: omitted)",
    { ...envelope, nonce: 13, fee: 1000n, msg: { type: "review_contribution", contributionId: 4, accept: false } }],
  ["tx/slash-contribution", "contribution 3 slashed with a reason",
    { ...envelope, nonce: 14, fee: 1000n, msg: { type: "slash_contribution", contributionId: 3, reason: "duplicate rows" } }],
  ["tx/publish-version", "a new version of datanet 1", { ...envelope, nonce: 15, fee: 1000n, msg: { type: "publish_version", datanetId: 1 } }],
  ["tx/publish-model-version", "version 2 of model 8, trained on one more datanet version",
    { ...envelope, nonce: 16, fee: 1000n, msg: {
      type: "publish_model_version",
      modelId: 8,
      weightsHash: label("model weights v2"),
      uri: "https://models.example/kat-adapter/v2",
      trainedOn: [{ datanetId: 1, version: 2 }],
    } }],
  ["tx/set-model-price", "model 8's price set to 0.2 OPEN",
    { ...envelope, nonce: 17, fee: 1000n, msg: { type: "set_model_price", modelId: 8, price: OPEN / 5n } }],
  ["tx/set-model-operators", "operators of model 8: bob added, validator-0 removed",
    { ...envelope, nonce: 18, fee: 1000n, msg: { type: "set_model_operators", modelId: 8, add: [address("bob")], remove: [address("validator-0")] } }],
  ["tx/retire-model", "model 8 retired", { ...envelope, nonce: 19, fee: 1000n, msg: { type: "retire_model", modelId: 8 } }],
];
for (const [name, about, body] of moreTxs) add(name, about, { kind: "tx", key: "alice", body });

// The datanet Merkle tree: leaves are content hashes. 1, 2, 3 and 5 leaves, and a proof of each leaf of 5.
const frontierOf = (leaves: Uint8Array[]) =>
  leaves.reduce<Uint8Array[]>((nodes, leaf, i) => merkleFrontierAppend(nodes, i, leaf), []);
const contentHash = (i: number) => label(`content ${i}`);
const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => contentHash(i));
add("datanet-tree/one", "one accepted contribution: its content hash is the root", { kind: "datanet-tree", leaves: leavesOf(1) });
add("datanet-tree/two", "two: sha256(0x01 || h0 || h1)", { kind: "datanet-tree", leaves: leavesOf(2) });
add("datanet-tree/three", "three: h2 is carried up (the odd last node)", { kind: "datanet-tree", leaves: leavesOf(3) });
const five = add("datanet-tree/five", "five: node(node(node(h0, h1), node(h2, h3)), h4)", { kind: "datanet-tree", leaves: leavesOf(5) });
for (let index = 0; index < 5; index++) {
  add(`datanet-proof/five-${index}`, `the membership proof of leaf ${index} of datanet-tree/five` +
  (index === 4 ? " (carried up twice: one sibling)" : ""), { kind: "datanet-proof", leaves: leavesOf(5), index });
}

// Module state: one vector per key and record kind, then each module's small state and its root.
const id = (n: number) => ({ u64: n });
const bytes = (b: Uint8Array) => ({ bytes: b });
const validatorRecord: RecordEntry = {
  prefix: "stakingValidator", parts: [bytes(address("alice"))], record: "STAKING-VALIDATOR", value: {
    operator: address("alice"), consensusPubkey: pubkey("validator-3"), moniker: "kat validator \u2713",
    tokens: 1250n * OPEN, shares: 1250n * OPEN, jailedUntil: 0, tombstoned: false, missWindow: 3, windowMissed: 2,
    createdHeight: 10, slashed: 0n,
  },
};
const jailedRecord: RecordEntry = {
  prefix: "stakingValidator", parts: [bytes(address("bob"))], record: "STAKING-VALIDATOR", value: {
    operator: address("bob"), consensusPubkey: pubkey("validator-2"), moniker: "tombstoned", tokens: 95n * OPEN,
    shares: 100n * OPEN, jailedUntil: Number.MAX_SAFE_INTEGER, tombstoned: true, missWindow: 0, windowMissed: 0,
    createdHeight: 1, slashed: 5n * OPEN,
  },
};
const staking: [string, string, RecordEntry][] = [
  ["validator", "validator alice (operator), consensus key validator-3, not jailed", validatorRecord],
  ["validator-tombstoned", "a validator slashed for double-signing: jailed for good", jailedRecord],
  ["consensus", "stk/cons/: consensus address -> operator address",
    { prefix: "stakingConsensus", parts: [bytes(address("validator-3"))], record: "STATE-SCALAR", value: { address: address("alice") } }],
  ["delegation", "stk/del/<delegator><operator>: shares held (an amount)",
    { prefix: "stakingDelegation", parts: [bytes(address("bob")), bytes(address("alice"))], record: "STATE-SCALAR", value: { amount: 250n * OPEN } }],
  ["delegation-by-validator", "stk/delv/<operator><delegator>: an index entry",
    { prefix: "stakingDelegationByValidator", parts: [bytes(address("alice")), bytes(address("bob"))], record: "STATE-SCALAR", value: { present: true } }],
  ["unbonding", "stk/unb/<delegator>: the delegator's unbondings in progress",
    { prefix: "stakingUnbonding", parts: [bytes(address("bob"))], record: "UNBONDING-LIST", value: [
      { delegator: address("bob"), validator: address("alice"), amount: 1n, completionHeight: 100_020, creationHeight: 20 },
      { delegator: address("bob"), validator: address("alice"), amount: 10n * OPEN, completionHeight: 100_031, creationHeight: 31 },
    ] }],
  ["unbonding-queue", "stk/unbq/<completion height><position 4>: who completes then",
    { prefix: "stakingUnbondingQueue", parts: [id(100_020), { u32: 0 }], record: "STATE-SCALAR", value: { address: address("bob") } }],
  ["unbonding-queue-count", "stk/unbqn/<completion height>: how many entries that height's queue has",
    { prefix: "stakingUnbondingQueueCount", parts: [id(100_020)], record: "STATE-SCALAR", value: { u64: 1 } }],
  ["unbonding-group", "stk/unbg/<operator><creation height>: what left it then, what a slash took, what completed",
    { prefix: "stakingUnbondingGroup", parts: [bytes(address("alice")), id(20)], record: "UNBONDING-GROUP", value: { total: 10n * OPEN + 1n, slashed: OPEN / 2n, completed: 1n } }],
  ["pool", "stk/pool: bonded and unbonding totals",
    { prefix: "stakingPool", parts: [], record: "STAKING-POOL", value: { bonded: 1345n * OPEN, unbonding: 10n * OPEN + 1n } }],
  ["candidates", "stk/candidates: every validator's operator, sorted",
    { prefix: "stakingCandidates", parts: [], record: "ADDRESS-LIST", value: [address("bob"), address("alice")].sort((a, b) => Buffer.compare(a, b)) }],
  ["validator-set", "stk/vset/<from height>: the set in force from that height (a VALIDATOR-SET)",
    { prefix: "stakingValidatorSet", parts: [id(11)], record: "VALIDATOR-SET", value: [
      { address: address("validator-3"), pubkey: pubkey("validator-3"), power: 1250 },
    ] }],
  ["validator-set-latest", "stk/vset-latest: the height of the latest stk/vset/ entry",
    { prefix: "stakingValidatorSetLatest", parts: [], record: "STATE-SCALAR", value: { u64: 11 } }],
  ["evidence", "stk/evid/<evidence hash>: the height the evidence was committed at",
    { prefix: "stakingEvidence", parts: [bytes(label("evidence"))], record: "STATE-SCALAR", value: { u64: 57 } }],
];

const datanetRecord: RecordEntry = {
  prefix: "datanet", parts: [id(1)], record: "DATANET", value: {
    id: 1, owner: address("alice"), name: "kat-corpus", description: "A corpus for known answers", license: "CC-BY-4.0",
    curators: [address("bob")], contributionStake: 10n * OPEN, reviewFee: OPEN, allowListed: true,
    contributors: [address("alice"), address("bob")], createdHeight: 12, acceptedCount: 5, versionCount: 1, contributionCount: 6,
  },
};
const contributionRecord: RecordEntry = {
  prefix: "contribution", parts: [id(3)], record: "CONTRIBUTION", value: {
    id: 3, datanetId: 1, contributor: address("alice"), contentHash: contentHash(2), uri: "ipfs://bafykatcontribution",
    sizeBytes: 1_048_576, metadata: "{\"lang\":\"en\",\"rows\":1000}", stake: 0n, status: "accepted", acceptIndex: 2,
    createdHeight: 13, reviewedHeight: 14, reviewer: address("bob"), staked: 10n * OPEN, slashedAmount: 0n,
  },
};
const pendingRecord: RecordEntry = {
  prefix: "contribution", parts: [id(6)], record: "CONTRIBUTION", value: {
    id: 6, datanetId: 1, contributor: address("bob"), contentHash: contentHash(5), uri: "", sizeBytes: 0, metadata: "",
    stake: 10n * OPEN, status: "pending", acceptIndex: 0, createdHeight: 20, reviewedHeight: 0, reviewer: new Uint8Array(0),
    staked: 10n * OPEN, slashedAmount: 0n,
  },
};
const datanetVersionRecord: RecordEntry = {
  prefix: "datanetVersion", parts: [id(1), id(1)], record: "DATANET-VERSION",
  value: { datanetId: 1, version: 1, root: hexBytes(five["DATANET-ROOT"]), count: 5, height: 19 },
};
const datanets: [string, string, RecordEntry][] = [
  ["datanet", "datanet 1 (the one tx/create-datanet makes), 5 accepted, 1 version", datanetRecord],
  ["contribution", "contribution 3, accepted as the third item (accept index 2)", contributionRecord],
  ["contribution-pending", "contribution 6, pending: no reviewer yet (empty, omitted)", pendingRecord],
  ["datanet-seq", "dn/seq: the next datanet id", { prefix: "datanetSeq", parts: [], record: "STATE-SCALAR", value: { u64: 2 } }],
  ["contribution-seq", "dn/cseq: the next contribution id", { prefix: "contributionSeq", parts: [], record: "STATE-SCALAR", value: { u64: 7 } }],
  ["contributions-by-datanet", "dn/bydn/<datanet><contribution>: an index entry",
    { prefix: "contributionsByDatanet", parts: [id(1), id(3)], record: "STATE-SCALAR", value: { present: true } }],
  ["contributions-by-contributor", "dn/byaddr/<contributor><contribution>: an index entry",
    { prefix: "contributionsByContributor", parts: [bytes(address("alice")), id(3)], record: "STATE-SCALAR", value: { present: true } }],
  ["accepted", "dn/accepted/<datanet><accept index>: the contribution id accepted at that place",
    { prefix: "acceptedContribution", parts: [id(1), id(2)], record: "STATE-SCALAR", value: { u64: 3 } }],
  ["version", "dn/ver/<datanet><version>: version 1 of datanet 1, the root of datanet-tree/five", datanetVersionRecord],
  ["frontier", "dn/frontier/<datanet>: the frontier of datanet-tree/five (two nodes: 4 + 1)",
    { prefix: "datanetFrontier", parts: [id(1)], record: "DATANET-FRONTIER", value: { count: 5, nodes: frontierOf(leavesOf(5)) } }],
  ["escrow", "dn/escrow: the stakes locked by pending contributions",
    { prefix: "datanetEscrow", parts: [], record: "STATE-SCALAR", value: { amount: 10n * OPEN } }],
];

const modelRecord: RecordEntry = {
  prefix: "model", parts: [id(8)], record: "MODEL", value: {
    id: 8, owner: address("alice"), name: "kat-adapter", kind: "adapter", parentId: 7, baseModel: "llama-3-8b",
    weightsHash: label("model weights v2"), uri: "https://models.example/kat-adapter/v2",
    trainedOn: [{ datanetId: 1, version: 1 }, { datanetId: 1, version: 2 }, { datanetId: 2, version: 3 }],
    price: OPEN / 5n, operators: [address("bob")], retired: false, version: 2, createdHeight: 21, updatedHeight: 30,
  },
};
const baseModelRecord: RecordEntry = {
  prefix: "model", parts: [id(7)], record: "MODEL", value: {
    id: 7, owner: address("bob"), name: "kat-base", kind: "model", parentId: 0, baseModel: "", weightsHash: label("base weights"),
    uri: "", trainedOn: [], price: 0n, operators: [], retired: true, version: 1, createdHeight: 5, updatedHeight: 40,
  },
};
const modelVersionRecord: RecordEntry = {
  prefix: "modelVersion", parts: [id(8), id(2)], record: "MODEL-VERSION", value: {
    modelId: 8, version: 2, weightsHash: label("model weights v2"), uri: "https://models.example/kat-adapter/v2",
    trainedOn: [{ datanetId: 1, version: 2 }], height: 30,
  },
};
const models: [string, string, RecordEntry][] = [
  ["model", "model 8: an adapter of model 7, at version 2, with an operator", modelRecord],
  ["model-retired", "model 7: a full model (kind 0, omitted), free, retired", baseModelRecord],
  ["model-version", "mdl/ver/<model><version>: version 2 of model 8", modelVersionRecord],
  ["model-seq", "mdl/seq: the next model id", { prefix: "modelSeq", parts: [], record: "STATE-SCALAR", value: { u64: 9 } }],
  ["models-by-owner", "mdl/byowner/<owner><model>: an index entry",
    { prefix: "modelsByOwner", parts: [bytes(address("alice")), id(8)], record: "STATE-SCALAR", value: { present: true } }],
  ["models-by-base", "mdl/bybase/<sha256(base model name)><model>: an index entry",
    { prefix: "modelsByBase", parts: [bytes(sha256(utf8("llama-3-8b"))), id(8)], record: "STATE-SCALAR", value: { present: true } }],
  ["models-by-datanet", "mdl/bydn/<datanet><model>: an index entry",
    { prefix: "modelsByDatanet", parts: [id(1), id(8)], record: "STATE-SCALAR", value: { present: true } }],
];

const weights = [
  { contributionId: 3, datanetId: 0, version: 0, ppm: 600_000 },
  { contributionId: 0, datanetId: 1, version: 1, ppm: 400_000 },
];
const recordedRecord: RecordEntry = {
  prefix: "inference", parts: [id(42)], record: "INFERENCE", value: {
    id: 42, modelId: 8, payer: address("bob"), requestHash: label("inference request"), price: OPEN / 5n,
    createdHeight: 31, expiresHeight: 131, status: "recorded", operator: address("bob"), outputHash: label("inference output"),
    weights, recordedHeight: 32,
  },
};
const paidRecord: RecordEntry = {
  prefix: "inference", parts: [id(43)], record: "INFERENCE", value: {
    id: 43, modelId: 8, payer: address("bob"), requestHash: label("another request"), price: OPEN / 5n,
    createdHeight: 33, expiresHeight: 133, status: "paid", operator: new Uint8Array(0), outputHash: new Uint8Array(0),
    weights: [], recordedHeight: 0,
  },
};
// A 0.2 OPEN price split: treasury + owner + credits = price, exactly (the split itself is the module's rule).
const payoutsRecord: RecordEntry = {
  prefix: "inferencePayouts", parts: [id(42)], record: "INFERENCE-PAYOUTS", value: {
    inferenceId: 42, modelId: 8, price: OPEN / 5n, treasury: OPEN / 20n + 1n, owner: address("alice"),
    ownerAmount: OPEN / 10n, credits: [{ weight: 0, contributionId: 3, contributor: address("alice"), amount: OPEN / 20n - 1n }],
  },
};
const attribution: [string, string, RecordEntry][] = [
  ["inference-recorded", "inference 42: paid, then recorded with its attribution weights", recordedRecord],
  ["inference-paid", "inference 43: paid, not yet recorded (operator and output hash empty: omitted)", paidRecord],
  ["inference-seq", "att/seq: the next inference id", { prefix: "inferenceSeq", parts: [], record: "STATE-SCALAR", value: { u64: 44 } }],
  ["inferences-by-model", "att/bymodel/<model><inference>: an index entry",
    { prefix: "inferencesByModel", parts: [id(8), id(42)], record: "STATE-SCALAR", value: { present: true } }],
  ["inferences-by-payer", "att/bypayer/<payer><inference>: an index entry",
    { prefix: "inferencesByPayer", parts: [bytes(address("bob")), id(42)], record: "STATE-SCALAR", value: { present: true } }],
  ["inferences-by-contribution", "att/bycontrib/<contribution><inference>: an index entry",
    { prefix: "inferencesByContribution", parts: [id(3), id(42)], record: "STATE-SCALAR", value: { present: true } }],
  ["expiry-queue", "att/expq/<height><position 4>: the inference that expires at the end of that height",
    { prefix: "inferenceExpiryQueue", parts: [id(133), { u32: 0 }], record: "STATE-SCALAR", value: { u64: 43 } }],
  ["expiry-queue-count", "att/expqn/<height>: how many entries that height's queue has",
    { prefix: "inferenceExpiryCount", parts: [id(133)], record: "STATE-SCALAR", value: { u64: 1 } }],
  ["escrow", "att/escrow: what paid, unrecorded inferences hold",
    { prefix: "inferenceEscrow", parts: [], record: "STATE-SCALAR", value: { amount: OPEN / 5n } }],
  ["rewards", "att/rew/<address>: rewards accrued (unclaimed) and claimed so far",
    { prefix: "rewards", parts: [bytes(address("alice"))], record: "REWARDS", value: { accrued: OPEN / 10n + OPEN / 20n - 1n, claimed: 3n * OPEN } }],
  ["reward-source", "att/rsrc/<address><kind 1><id>: what an address earned from one source (kind 3: a contribution)",
    { prefix: "rewardSource", parts: [bytes(address("alice")), { u8: SOURCE_KIND.contribution }, id(3)], record: "STATE-SCALAR", value: { amount: OPEN / 20n - 1n } }],
  ["earnings", "att/earn/<kind 1><id>: what one object earned, ever (kind 1: a model)",
    { prefix: "earnings", parts: [{ u8: SOURCE_KIND.model }, id(8)], record: "STATE-SCALAR", value: { amount: OPEN / 10n } }],
  ["rewards-accrued", "att/accrued: rewards accrued and unclaimed over every address",
    { prefix: "rewardsAccrued", parts: [], record: "STATE-SCALAR", value: { amount: OPEN / 10n + OPEN / 20n - 1n } }],
  ["payouts", "att/pay/<inference>: every credit inference 42's record made", payoutsRecord],
  ["treasury", "treasury: slashed stake, protocol shares, dust",
    { prefix: "treasury", parts: [], record: "STATE-SCALAR", value: { amount: 5n * OPEN + OPEN / 20n + 1n } }],
];

for (const [module, list] of [["staking", staking], ["datanets", datanets], ["models", models], ["attribution", attribution]] as const) {
  for (const [name, about, entry] of list) add(`record/${module}/${name}`, about, { kind: "record", ...entry });
  add(`module-root/${module}`, `the state root of the ${list.length} ${module} entries above (record/${module}/*) alone`,
    { kind: "module-state", entries: list.map(([, , entry]) => entry) });
}
add("module-root/economy", "the state root of the four modules' entries above together", {
  kind: "module-state",
  entries: [staking, datanets, models, attribution].flatMap((list) => list.map(([, , entry]) => entry)),
});

// Governance (state/modules/gov/): its messages, then its records and their root (module-root/economy stays the
// four economy modules' root it was pinned as).
const govTxs: [string, string, TxBody][] = [
  ["tx/submit-proposal-text", "a text proposal (no kind field set) with a 100 OPEN deposit",
    { ...envelope, nonce: 20, fee: 1000n, msg: {
      type: "submit_proposal", title: "Adopt the data charter", description: "Text only: nothing executes.",
      deposit: 100n * OPEN, content: { kind: "text" },
    } }],
  ["tx/submit-proposal-params", "a parameter change of two values (changes, field 4, one element a tag)",
    { ...envelope, nonce: 21, fee: 1000n, msg: {
      type: "submit_proposal", title: "Raise the protocol share", description: "10% to 12%; a shorter vote.",
      deposit: 150n * OPEN, content: { kind: "params", changes: [
        { key: "attribution.protocolSharePpm", value: "120000" },
        { key: "gov.votingPeriodBlocks", value: "10000" },
      ] },
    } }],
  ["tx/submit-proposal-spend", "a treasury spend of 2.5 OPEN to bob, no deposit (omitted: deposits may follow)",
    { ...envelope, nonce: 22, fee: 1000n, msg: {
      type: "submit_proposal", title: "Pay the auditor", description: "", deposit: 0n,
      content: { kind: "spend", to: address("bob"), amount: 5n * OPEN / 2n },
    } }],
  ["tx/submit-proposal-spend-datanet", "a treasury spend of 1000 OPEN to the contributors of datanet 1 version 2",
    { ...envelope, nonce: 23, fee: 1000n, msg: {
      type: "submit_proposal", title: "Reward the corpus", description: "Grant to version 2's contributors.",
      deposit: 100n * OPEN, content: { kind: "spend_datanet", datanetId: 1, version: 2, amount: 1000n * OPEN },
    } }],
  ["tx/submit-proposal-upgrade", "a software upgrade named v2 at height 1,000,000",
    { ...envelope, nonce: 24, fee: 1000n, msg: {
      type: "submit_proposal", title: "Upgrade to v2", description: "Halts at the height for the new binary.",
      deposit: 100n * OPEN, content: { kind: "upgrade", name: "v2", height: 1_000_000 },
    } }],
  ["tx/deposit", "50 OPEN more deposited to proposal 3",
    { ...envelope, nonce: 25, fee: 1000n, msg: { type: "deposit", proposalId: 3, amount: 50n * OPEN } }],
  ["tx/vote", "a staker's no with veto on proposal 3 for its own stake with validators alice and bob (option 4)",
    { ...envelope, nonce: 26, fee: 1000n, msg: {
      type: "vote", proposalId: 3, option: "no_with_veto", validators: [address("alice"), address("bob")],
    } }],
  ["tx/vote-yes", "a yes on proposal 3 naming no validator (a validator's operator voting its whole bond)",
    { ...envelope, nonce: 27, fee: 1000n, msg: { type: "vote", proposalId: 3, option: "yes", validators: [] } }],
];
for (const [name, about, body] of govTxs) add(name, about, { kind: "tx", key: "alice", body });

const proposalRecord: RecordEntry = {
  prefix: "govProposal", parts: [id(3)], record: "GOV-PROPOSAL", value: {
    id: 3, proposer: address("alice"), title: "Raise the protocol share", description: "10% to 12%; a shorter vote.",
    initialDeposit: 150n * OPEN,
    content: { kind: "params", changes: [{ key: "attribution.protocolSharePpm", value: "120000" }] },
    status: "voting_period", submitHeight: 200, depositEnd: 20_200, votingEnd: 20_210, totalDeposit: 200n * OPEN,
    tally: { yes: 0n, abstain: 0n, no: 0n, noWithVeto: 0n }, failure: "",
  } satisfies Proposal,
};
const failedRecord: RecordEntry = {
  prefix: "govProposal", parts: [id(2)], record: "GOV-PROPOSAL", value: {
    id: 2, proposer: address("bob"), title: "Pay the auditor", description: "", initialDeposit: 0n,
    content: { kind: "spend", to: address("bob"), amount: 5n * OPEN / 2n },
    status: "failed", submitHeight: 50, depositEnd: 20_050, votingEnd: 20_100, totalDeposit: 100n * OPEN,
    tally: { yes: 700n * OPEN, abstain: 1n, no: 200n * OPEN, noWithVeto: 50n * OPEN },
    failure: "the treasury holds 1000000000000000000, less than the 2500000000000000000 to spend",
  } satisfies Proposal,
};
const upgradeRecord: RecordEntry = {
  prefix: "govProposal", parts: [id(4)], record: "GOV-PROPOSAL", value: {
    id: 4, proposer: address("alice"), title: "Upgrade to v2", description: "Halts at the height for the new binary.",
    initialDeposit: 100n * OPEN, content: { kind: "upgrade", name: "v2", height: 1_000_000 },
    status: "passed", submitHeight: 300, depositEnd: 20_300, votingEnd: 20_300, totalDeposit: 100n * OPEN,
    tally: { yes: 900n * OPEN, abstain: 0n, no: 0n, noWithVeto: 0n }, failure: "",
  } satisfies Proposal,
};
// The params as a change leaves them, written out whole (not DEFAULT_PARAMS: a new default must not move this
// vector): the record holds every parameter, in this order.
const changedParams: ChainParams = {
  minFee: 10n ** 12n, maxTxBytes: 16 * 1024, maxBlockTxs: 20_000, maxBlockBytes: 8 * 1024 * 1024, maxBlockWork: 600_000,
  staking: {
    minSelfStake: OPEN, maxValidators: 100, maxCandidates: 1000, unbondingBlocks: 1000, powerReduction: 10n ** 15n,
    slashDoubleSignPpm: 50_000, signedBlocksWindow: 10_000, maxMissedBlocks: 9_500, downtimeJailBlocks: 600,
    maxEvidenceAgeBlocks: 500,
  },
  datanets: {
    maxNameBytes: 128, maxDescriptionBytes: 4096, maxLicenseBytes: 256, maxUriBytes: 1024, maxMetadataBytes: 4096,
    maxCurators: 32, maxContributors: 256,
  },
  models: { maxNameBytes: 128, maxUriBytes: 1024, maxTrainedOn: 32, maxOperators: 32 },
  attribution: {
    inferenceExpiryBlocks: 100, protocolSharePpm: 120_000, ownerSharePpm: 300_000, maxWeights: 64,
    maxVersionRecipients: 100, maxBlockCredits: 20_000, feePerCredit: 10n ** 12n,
  },
  gov: {
    minDeposit: 100n * OPEN, depositPeriodBlocks: 20_000, votingPeriodBlocks: 10_000, quorumPpm: 334_000,
    thresholdPpm: 500_000, vetoPpm: 334_000, maxActiveProposals: 10,
  },
};
const gov: [string, string, RecordEntry][] = [
  ["proposal", "proposal 3: a parameter change in its voting period (no tally yet: zeros omitted)", proposalRecord],
  ["proposal-failed", "proposal 2: a treasury spend that passed and failed to execute (status 7, its reason)", failedRecord],
  ["proposal-upgrade", "proposal 4: a software upgrade that passed", upgradeRecord],
  ["params", "gov/params: the chain params after a change executed (protocolSharePpm 120000, votingPeriodBlocks 10000)",
    { prefix: "govParams", parts: [], record: "GOV-PARAMS", value: changedParams }],
  ["seq", "gov/seq: the next proposal id", { prefix: "govSeq", parts: [], record: "STATE-SCALAR", value: { u64: 5 } }],
  ["active", "gov/active: the proposals in their deposit or voting period, in the order they were submitted",
    { prefix: "govActive", parts: [], record: "ID-LIST", value: [3, 5] }],
  ["escrow", "gov/escrow: the deposits active proposals hold",
    { prefix: "govEscrow", parts: [], record: "STATE-SCALAR", value: { amount: 300n * OPEN } }],
  ["deposit", "gov/dep/<proposal><depositor>: what bob deposited to proposal 3",
    { prefix: "govDeposit", parts: [id(3), bytes(address("bob"))], record: "STATE-SCALAR", value: { amount: 50n * OPEN } }],
  ["depositors", "gov/depl/<proposal><position 4>: proposal 3's second depositor",
    { prefix: "govDepositors", parts: [id(3), { u32: 1 }], record: "STATE-SCALAR", value: { address: address("bob") } }],
  ["depositors-count", "gov/depln/<proposal>: how many entries proposal 3's depositor list has",
    { prefix: "govDepositorsCount", parts: [id(3)], record: "STATE-SCALAR", value: { u64: 2 } }],
  ["vote", "gov/vote/<proposal><voter>: bob's no with veto for his shares with alice and validator-0's operator",
    { prefix: "govVote", parts: [id(3), bytes(address("bob"))], record: "GOV-VOTE", value: {
      option: "no_with_veto", validators: [address("alice"), address("validator-0")], shares: [40n * OPEN, 1n],
    } }],
  ["vote-operator", "gov/vote/<proposal><voter>: alice's yes naming no validator (as an operator, for her bond)",
    { prefix: "govVote", parts: [id(3), bytes(address("alice"))], record: "GOV-VOTE", value: { option: "yes", validators: [], shares: [] } }],
  ["voters", "gov/votl/<proposal><position 4>: proposal 3's first voter",
    { prefix: "govVoters", parts: [id(3), { u32: 0 }], record: "STATE-SCALAR", value: { address: address("bob") } }],
  ["voters-count", "gov/votln/<proposal>: how many entries proposal 3's voter list has",
    { prefix: "govVotersCount", parts: [id(3)], record: "STATE-SCALAR", value: { u64: 2 } }],
  ["voted-shares", "gov/vs/<proposal><validator><option 1>: the shares with alice voting no with veto (4) on proposal 3",
    { prefix: "govVotedShares", parts: [id(3), bytes(address("alice")), { u8: VOTE_OPTION_NUMBER.no_with_veto }], record: "STATE-SCALAR", value: { amount: 40n * OPEN } }],
  ["upgrade", "gov/upgrade: the passed upgrade proposal the chain waits for",
    { prefix: "govUpgrade", parts: [], record: "STATE-SCALAR", value: { u64: 4 } }],
];
for (const [name, about, entry] of gov) add(`record/gov/${name}`, about, { kind: "record", ...entry });
add("module-root/gov", `the state root of the ${gov.length} gov entries above (record/gov/*) alone`,
  { kind: "module-state", entries: gov.map(([, , entry]) => entry) });
// Software upgrades applied (state/modules/gov/upgrade.ts): after module-root/gov, which pins the entries above.
add("record/gov/upgrade-done", "gov/upgdone/<sha256(name)>: the height upgrade v2's handler ran at",
  { kind: "record", prefix: "govUpgradeDone", parts: [bytes(sha256(utf8("v2")))], record: "STATE-SCALAR", value: { u64: 1000 } });
add("record/upgrade/test-marker", "upg/test/<sha256(name)>: the test-only marker handler of v2 ran once",
  { kind: "record", prefix: "upgradeTestMarker", parts: [bytes(sha256(utf8("v2")))], record: "STATE-SCALAR", value: { u64: 1 } });

// Key files.
add("key-file/keyring-alice", "the keyring file `opl keys add alice` writes for alice's key",
  { kind: "key-file", file: "KEYRING-FILE", key: "alice", name: "alice" });
add("key-file/validator-3", "the validator key file written for validator-3's consensus key",
  { kind: "key-file", file: "VALIDATOR-KEY-FILE", key: "validator-3" });
const nodeKeyProtobuf = privateKeyToProtobuf(privateKeyFromRaw(concatBytes(secret("bob"), pubkey("bob"))));
add("key-file/node-key", "a node key file holding bob's seed (node keys are random; this one is fixed): its peer id",
  { kind: "key-file", file: "NODE-KEY-FILE", text: `${JSON.stringify({ type: "ed25519", privateKey: toBase64(nodeKeyProtobuf) }, null, 2)}\n` });

// JSON views of objects pinned above.
const inputOf = <K extends VectorInput["kind"]>(name: string, kind: K) => {
  const v = vectors.find((x) => x.name === name);
  const input = v === undefined ? undefined : fromJsonValue<VectorInput>(v.input);
  if (input?.kind !== kind) throw new Error(`vector ${name} is not a ${kind}`);
  return input as Extract<VectorInput, { kind: K }>;
};
add("json/header", "header/later as the RPC shows it", { kind: "json-view", view: "JSON-HEADER", value: inputOf("header/later", "header").header });
add("json/commit", "commit/three-signatures as the RPC shows it", {
  kind: "json-view", view: "JSON-COMMIT", value: decodeCommit(hexBytes(expected.get("commit/three-signatures")?.COMMIT ?? "")),
});
add("json/validator-set", "validator-set/three as the RPC shows it", {
  kind: "json-view", view: "JSON-VALIDATOR-SET",
  value: decodeValidatorSet(hexBytes(expected.get("validator-set/three")?.["VALIDATOR-SET"] ?? "")),
});
add("json/tx-create-validator", "tx/create-validator's body as the RPC shows it", { kind: "json-view", view: "JSON-TX", value: inputOf("tx/create-validator", "tx").body });
add("json/tx-register-model", "tx/register-model's body as the RPC shows it", { kind: "json-view", view: "JSON-TX", value: inputOf("tx/register-model", "tx").body });
add("json/result", "the first result of results-root/three as the RPC shows it",
  { kind: "json-view", view: "JSON-RESULT", value: inputOf("results-root/three", "results-root").results[0] });
add("json/contribution-pending", "record/datanets/contribution-pending as the RPC shows it (no reviewer: null)",
  { kind: "json-view", view: "JSON-RECORD", value: contributionCodec.decode(entryValue(pendingRecord)) });
add("json/inference-recorded", "record/attribution/inference-recorded as the RPC shows it",
  { kind: "json-view", view: "JSON-RECORD", value: inferenceCodec.decode(entryValue(recordedRecord)) });
add("json/model", "record/models/model as the RPC shows it", { kind: "json-view", view: "JSON-RECORD", value: modelCodec.decode(entryValue(modelRecord)) });
add("json/payouts", "record/attribution/payouts as the RPC shows it",
  { kind: "json-view", view: "JSON-PAYOUTS", value: inferencePayoutsCodec.decode(entryValue(payoutsRecord)) });

// The bank's multi-send (state/modules/bank/multi-send.ts): field 38, each output a repeated MultiSendOutput.
const bankTxs: [string, string, TxBody][] = [
  ["tx/multi-send", "one signer pays three recipients: bob 1.5 OPEN, validator-0 1 base unit, validator-1 the largest amount",
    { ...envelope, nonce: 28, fee: 1000n, msg: { type: "multi_send", outputs: [
      { to: address("bob"), amount: 3n * OPEN / 2n },
      { to: address("validator-0"), amount: 1n },
      { to: address("validator-1"), amount: MAX_AMOUNT },
    ] } }],
  ["tx/multi-send-one", "a multi-send of one output (to bob, 2 OPEN): not the same bytes as tx/transfer's message",
    { ...envelope, nonce: 29, fee: 1000n, msg: { type: "multi_send", outputs: [{ to: address("bob"), amount: 2n * OPEN }] } }],
];
for (const [name, about, body] of bankTxs) add(name, about, { kind: "tx", key: "alice", body });
add("json/tx-multi-send", "tx/multi-send's body as the RPC shows it", { kind: "json-view", view: "JSON-TX", value: inputOf("tx/multi-send", "tx").body });

// Account keys from a mnemonic (crypto/mnemonic.ts): BIP-39's reference mnemonics of all-zero and 0x7f entropy.
add("mnemonic-key/abandon-art", "the key of BIP-39's all-zero 256-bit entropy (abandon x23, art), no passphrase",
  { kind: "mnemonic-key", mnemonic: `${"abandon ".repeat(23)}art` });
add("mnemonic-key/legal-winner", "the key of BIP-39's 0x7f.. 256-bit entropy mnemonic, no passphrase",
  { kind: "mnemonic-key", mnemonic: `${"legal winner thank year wave sausage worth useful ".repeat(3)}`.replace(/useful $/, "title") });

const file: VectorFile = {
  about: "Known-answer vectors of the OPEN chain's consensus-critical encodings (docs/encoding.md). Written " +
    "once by test/vectors/generate.ts; test/unit/known-answer-vectors.test.ts recomputes every value from " +
    "the inputs and compares. Bytes are \"hex:...\", amounts \"bigint:...\". Never edit an answer to make a test pass.",
  keys,
  vectors,
};

if (!existsSync(OUT) || process.argv.includes("--overwrite")) {
  writeFileSync(OUT, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`${vectors.length} vectors written to ${OUT}`);
} else {
  // The file exists: its answers are the chain's encoding, so they are kept byte for byte, and only vectors it
  // does not have yet are added. One that today's code answers differently stops the run: that is a consensus-
  // breaking change, which takes --overwrite and a new version of the rule in the spec, never a quiet rewrite.
  const old = JSON.parse(readFileSync(OUT, "utf8")) as VectorFile;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const made = new Map(vectors.map((v) => [v.name, v]));
  const changed = old.vectors.filter((v) => {
    const now = made.get(v.name);
    return now === undefined || !same(now.input, v.input) || !same(now.expect, v.expect);
  });
  const changedKeys = Object.keys(old.keys).filter((k) => !same(old.keys[k], keys[k]));
  if (changed.length > 0 || changedKeys.length > 0) {
    console.error(`${OUT}: today's code no longer gives (or no longer makes) ${changed.length} pinned vector(s) ` +
      `[${changed.map((v) => v.name).join(", ")}] and ${changedKeys.length} key(s) [${changedKeys.join(", ")}]. ` +
      "Changing them breaks consensus with every existing node and signature; pass --overwrite only with a new " +
      "rule version in the spec (docs/SPEC.md).");
    process.exit(1);
  }
  const known = new Set(old.vectors.map((v) => v.name));
  const added = vectors.filter((v) => !known.has(v.name));
  if (added.length === 0) {
    console.log(`${OUT}: all ${old.vectors.length} vectors are there and unchanged; nothing to add`);
  } else {
    const next: VectorFile = { about: old.about, keys: { ...old.keys, ...keys }, vectors: [...old.vectors, ...added] };
    writeFileSync(OUT, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`${OUT}: ${old.vectors.length} vectors kept as they were, ${added.length} added`);
  }
}
