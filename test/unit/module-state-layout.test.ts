import { describe, expect, it } from "vitest";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { decodeValidatorSet, encodeValidatorSet } from "../../proto/block.ts";
import { decodeAmount, encodeAmount } from "../../proto/codec.ts";
import {
  addressListCodec,
  contributionCodec,
  datanetCodec,
  datanetFrontierCodec,
  datanetVersionCodec,
  inferenceCodec,
  inferencePayoutsCodec,
  modelCodec,
  modelVersionCodec,
  rewardsCodec,
  stakingPoolCodec,
  unbondingGroupCodec,
  stakingValidatorCodec,
  idListCodec,
  unbondingListCodec,
} from "../../proto/module-records.ts";
import { govVoteCodec, proposalCodec } from "../../proto/gov-records.ts";
import { decodeAccount, encodeAccount } from "../../proto/records.ts";
import type { SubmitProposalMsg } from "../../proto/gov-msgs.ts";
import { decodeTx, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { type BlockEvidence, executeBlock } from "../../state/execute.ts";
import { genesisWrites } from "../../state/genesis.ts";
import { MODULE_PREFIX } from "../../state/keys.ts";
import { encodeParams } from "../../state/modules/gov/params-store.ts";
import { paramsFromJson } from "../../state/params-check.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { utf8 } from "../../crypto/bytes.ts";
import { upgradeBinary } from "../../state/upgrades/registry.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { MemoryState, testContext } from "../helpers/memory-state.ts";
import { KEY_LAYOUT, keyLength, layoutOf, type ValueForm } from "../vectors/key-layout.ts";

/**
 * docs/module-state.md's key table against what the modules really write: a scripted economy (every message
 * type, a missed vote, an equivocation, unbondings and inferences that complete and expire) runs through the
 * real executor, and every key and value of every block's writes must be as the table states: a known
 * prefix, the stated length, and a value of the stated form that re-encodes to the same bytes. Every row of
 * the table must be written at least once, so a row that no longer matches the code cannot stay in the spec.
 */

const CHAIN = "opl-test-1";
const OPEN = 10n ** 18n;
const FEE = DEFAULT_PARAMS.minFee;
const PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  staking: {
    ...DEFAULT_PARAMS.staking,
    unbondingBlocks: 2,
    maxEvidenceAgeBlocks: 1, // below unbondingBlocks, as a valid chain's params must be (a parameter change checks them)
    signedBlocksWindow: 4,
    maxMissedBlocks: 1,
    downtimeJailBlocks: 1,
  },
  attribution: { ...DEFAULT_PARAMS.attribution, inferenceExpiryBlocks: 2 },
  gov: { ...DEFAULT_PARAMS.gov, minDeposit: 10n * OPEN, depositPeriodBlocks: 3, votingPeriodBlocks: 2 },
};

/** The binary the blocks run on: the test marker handler registered for upgrade v3. */
const UPGRADES = upgradeBinary({ testHandlers: ["v3"] });

const [alice, bob, carol] = [1, 2, 3].map((i) => new TestAccount(new Uint8Array(32).fill(i)));
const consensusSecrets = [0x41, 0x42].map((b) => new Uint8Array(32).fill(b));
const consensusKeys = consensusSecrets.map(publicKeyOf);
const consensusAddresses = consensusKeys.map(addressFromPublicKey);

/** The value's stated form, decoded and encoded again: undefined if it is that form, else what is wrong. */
function formProblem(form: ValueForm, value: Uint8Array): string | undefined {
  const same = (bytes: Uint8Array) => (toHex(bytes) === toHex(value) ? undefined : "does not re-encode to itself");
  const codecs = {
    "STAKING-VALIDATOR": stakingValidatorCodec, "UNBONDING-LIST": unbondingListCodec, "UNBONDING-GROUP": unbondingGroupCodec,
    "STAKING-POOL": stakingPoolCodec,
    "ADDRESS-LIST": addressListCodec, "DATANET": datanetCodec, "CONTRIBUTION": contributionCodec,
    "DATANET-VERSION": datanetVersionCodec, "DATANET-FRONTIER": datanetFrontierCodec, "MODEL": modelCodec,
    "MODEL-VERSION": modelVersionCodec, "INFERENCE": inferenceCodec, "REWARDS": rewardsCodec,
    "INFERENCE-PAYOUTS": inferencePayoutsCodec, "ID-LIST": idListCodec, "GOV-PROPOSAL": proposalCodec,
    "GOV-VOTE": govVoteCodec,
  } as const;
  try {
    switch (form) {
      case "amount": return value.byteLength > 0 ? same(encodeAmount(decodeAmount(value, "amount"))) : "an empty amount";
      case "u64": return value.byteLength === 8 ? undefined : `${value.byteLength} bytes, not 8`;
      case "address": return value.byteLength === 20 ? undefined : `${value.byteLength} bytes, not 20`;
      case "present": return toHex(value) === "01" ? undefined : "not 0x01";
      case "ACCOUNT": return same(encodeAccount(decodeAccount(value)));
      case "VALIDATOR-SET": return same(encodeValidatorSet(decodeValidatorSet(value)));
      case "GOV-PARAMS": return same(encodeParams(paramsFromJson(JSON.parse(Buffer.from(value).toString("utf8")))));
      default: {
        const codec = codecs[form] as { decode(b: Uint8Array): unknown; encode(v: unknown): Uint8Array };
        return same(codec.encode(codec.decode(value)));
      }
    }
  } catch (err) {
    return `does not decode: ${(err as Error).message}`;
  }
}

describe("docs/module-state.md's key table is what the modules write", () => {
  it("every key and value written by a scripted economy is of its row's form, and every row is written", () => {
    const state = new MemoryState();
    state.apply(genesisWrites({
      chainId: CHAIN,
      genesisTimeMs: 0,
      params: PARAMS,
      validators: [{
        address: consensusAddresses[0], pubkey: consensusKeys[0], operator: alice.address, moniker: "genesis",
        selfStake: 100n * OPEN,
      }],
      accounts: [alice, bob, carol].map((a) => ({ address: a.address, balance: 1000n * OPEN })),
    }));
    const seen = new Map<string, number>();
    const problems: string[] = [];
    const check = (key: Uint8Array, value: Uint8Array) => {
      const found = layoutOf(key);
      if (found === undefined) {
        problems.push(`key ${Buffer.from(key).toString("latin1")} is under no prefix of the table`);
        return;
      }
      const [name, layout] = found;
      seen.set(name, (seen.get(name) ?? 0) + 1);
      if (key.byteLength !== keyLength(layout)) {
        problems.push(`key under ${layout.text} is ${key.byteLength} bytes; the table says ${keyLength(layout)}`);
      }
      const problem = formProblem(layout.value, value);
      if (problem !== undefined) problems.push(`value under ${layout.text} (${layout.value}): ${problem}`);
    };
    for (const [key, value] of state.entries(new Uint8Array(0))) check(key, value);

    let height = 0;
    const block = (txs: [TestAccount, TxMsg][], extra: { evidence?: BlockEvidence[]; missed?: boolean } = {}) => {
      height++;
      const decoded = txs.map(([from, msg]) => {
        const body = { chainId: CHAIN, senderPubkey: from.publicKey, nonce: from.nonce++, fee: FEE, msg };
        const built = signTx(body, (m) => from.sign(m));
        return decodeTx(built.bytes);
      });
      const ctx = testContext(height, {
        chainId: CHAIN,
        params: PARAMS,
        proposer: consensusAddresses[0],
        evidence: extra.evidence ?? [],
        lastCommitVotes: height === 1 ? [] : [{ address: consensusAddresses[0], signed: extra.missed !== true }],
        upgrades: UPGRADES,
      });
      const out = executeBlock(state, decoded, ctx);
      if (!out.ok) throw new Error(`block ${height}: tx ${out.rejected.index} rejected: ${out.rejected.error.message}`);
      out.execution.results.forEach((r, i) => {
        if (r.code !== 0) throw new Error(`block ${height} tx ${i} (${txs[i][1].type}) failed: code ${r.code} ${r.log}`);
      });
      for (const w of out.execution.writes) if (w.value !== undefined) check(w.key, w.value);
      state.apply(out.execution.writes);
    };

    const possession = signPortable(
      sha256(utf8("OPL/consensus-key-possession/v1"), Uint8Array.of(0), utf8(CHAIN), Uint8Array.of(0), bob.address),
      consensusSecrets[1],
    );
    const settings = {
      description: "d", license: "cc0", curators: [bob.address], contributionStake: OPEN, reviewFee: OPEN / 4n,
      allowListed: false, contributors: [],
    };
    block([
      [bob, { type: "create_validator", consensusPubkey: consensusKeys[1], moniker: "bob", selfStake: 10n * OPEN, consensusSignature: possession }],
      [carol, { type: "stake", validator: alice.address, amount: 5n * OPEN }],
      [alice, { type: "create_datanet", name: "corpus", ...settings }],
    ]);
    block([
      [carol, { type: "unstake", validator: alice.address, amount: OPEN }],
      [carol, { type: "contribute", datanetId: 1, contentHash: sha256(utf8("c1")), uri: "u", sizeBytes: 1, metadata: "" }],
      [bob, { type: "contribute", datanetId: 1, contentHash: sha256(utf8("c2")), uri: "u", sizeBytes: 1, metadata: "" }],
      [alice, { type: "update_datanet", datanetId: 1, ...settings, description: "e" }],
    ]);
    block([
      [bob, { type: "review_contribution", contributionId: 1, accept: true }],
      [bob, { type: "review_contribution", contributionId: 2, accept: false }],
      [alice, { type: "publish_version", datanetId: 1 }],
    ]);
    block([[alice, {
      type: "register_model", name: "m", kind: "model", parentId: 0, baseModel: "base", weightsHash: sha256(utf8("w")),
      uri: "u", trainedOn: [{ datanetId: 1, version: 1 }], price: OPEN / 10n,
    }]], { missed: true });
    block([
      [carol, { type: "pay_inference", modelId: 1, requestHash: sha256(utf8("r1")), maxPrice: OPEN / 10n }],
      [carol, { type: "pay_inference", modelId: 1, requestHash: sha256(utf8("r2")), maxPrice: OPEN / 10n }],
      [alice, { type: "publish_model_version", modelId: 1, weightsHash: sha256(utf8("w2")), uri: "u2", trainedOn: [{ datanetId: 1, version: 1 }] }],
      [alice, { type: "set_model_operators", modelId: 1, add: [bob.address], remove: [] }],
    ]);
    block([
      [bob, { type: "record_inference", inferenceId: 1, outputHash: sha256(utf8("o1")), weights: [
        { contributionId: 1, datanetId: 0, version: 0, ppm: 600_000 },
        { contributionId: 0, datanetId: 1, version: 1, ppm: 400_000 },
      ] }],
      [alice, { type: "set_model_price", modelId: 1, price: OPEN / 5n }],
    ], { evidence: [{ hash: sha256(utf8("evidence")), validator: consensusAddresses[1], height: 5 }], missed: true });
    block([
      [carol, { type: "claim_rewards" }],
      [alice, { type: "slash_contribution", contributionId: 1, reason: "bad" }],
    ]);
    block([[alice, { type: "retire_model", modelId: 1 }]]);
    block([]);
    block([[alice, { type: "unjail" }]]); // jailed for downtime (two missed votes in a window of 4)

    // Governance: a parameter change that waits for a second deposit, a software upgrade that votes at once;
    // a staker's own vote with its validator (gov/vs/), both tallied, passed and executed (gov/params, gov/upgrade).
    const proposal = (title: string, deposit: bigint, content: SubmitProposalMsg["content"]): TxMsg =>
      ({ type: "submit_proposal", title, description: "", deposit, content });
    block([
      [alice, proposal("fee", 5n * OPEN, { kind: "params", changes: [{ key: "attribution.protocolSharePpm", value: "120000" }] })],
      [bob, proposal("v2", 10n * OPEN, { kind: "upgrade", name: "v2", height: 1000 })],
    ]);
    block([
      [carol, { type: "deposit", proposalId: 1, amount: 5n * OPEN }],
      [alice, { type: "vote", proposalId: 2, option: "yes", validators: [] }],
      [carol, { type: "vote", proposalId: 2, option: "no", validators: [alice.address] }],
    ]);
    block([
      [alice, { type: "vote", proposalId: 1, option: "yes", validators: [] }],
      [carol, { type: "vote", proposalId: 1, option: "yes", validators: [alice.address] }],
    ]);
    block([]);
    block([]);
    // A software upgrade that reaches its height on a binary with its (test) handler: gov/upgdone/, upg/test/.
    const upgradeAt = height + 6;
    block([[bob, proposal("v3", 10n * OPEN, { kind: "upgrade", name: "v3", height: upgradeAt })]]);
    block([[alice, { type: "vote", proposalId: 3, option: "yes", validators: [] }]]);
    while (height < upgradeAt) block([]);

    expect(problems, "keys and values that are not as docs/module-state.md states").toEqual([]);
    const unwritten = Object.entries(KEY_LAYOUT).filter(([name]) => !seen.has(name)).map(([, l]) => l.text);
    expect(unwritten, "rows of docs/module-state.md's table the economy never wrote").toEqual([]);
    expect(Object.keys(MODULE_PREFIX).sort(), "the table has a row for every prefix of state/keys.ts").toEqual(Object.keys(KEY_LAYOUT).sort());
  });
});
