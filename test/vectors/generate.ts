/**
 * Writes test/vectors/known-answers.json: fixed inputs and what today's code derives from them. Run once,
 * when the vectors were made (`npx node test/vectors/generate.ts`); the tests never run it, they recompute
 * from the file's inputs and compare. It refuses to overwrite the file: a changed answer is a consensus-
 * breaking change of encoding (every node, wallet and signed message of the chain disagrees), so writing new
 * answers takes `--overwrite` and a new version of the rule in docs/encoding.md.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { toHex, utf8 } from "../../crypto/bytes.ts";
import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { MAX_AMOUNT } from "../../proto/codec.ts";
import { PRECOMMIT, PREVOTE } from "../../proto/consensus.ts";
import type { TxBody } from "../../proto/tx.ts";
import { possessionSignBytes } from "../../state/modules/staking/staking.ts";
import {
  answers,
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

// In the set's order (state/modules/staking/staking.ts computeValidatorSet): power descending, then address ascending.
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

const file: VectorFile = {
  about: "Known-answer vectors of the OPEN chain's consensus-critical encodings (docs/encoding.md). Written " +
    "once by test/vectors/generate.ts; test/unit/known-answer-vectors.test.ts recomputes every value from " +
    "the inputs and compares. Bytes are \"hex:...\", amounts \"bigint:...\". Never edit an answer to make a test pass.",
  keys,
  vectors,
};

if (existsSync(OUT) && !process.argv.includes("--overwrite")) {
  console.error(`${OUT} exists: its answers are the chain's encoding. Changing them breaks consensus with every ` +
    "existing node and signature; pass --overwrite only with a new rule version in docs/encoding.md.");
  process.exit(1);
}
writeFileSync(OUT, `${JSON.stringify(file, null, 2)}\n`);
console.log(`${vectors.length} vectors written to ${OUT}`);
