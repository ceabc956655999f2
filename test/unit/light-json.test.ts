import { describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { toHex } from "../../crypto/bytes.ts";
import { blockHash, type Validator } from "../../proto/block.ts";
import { commitView, headerView } from "../../rpc/views.ts";
import { SparseMerkleTree, treePath, valueHash } from "../../state/smt.ts";
import {
  decodeCommitJson,
  decodeHeaderJson,
  decodeLightBlockJson,
  decodeStateProofAnswerJson,
  LightClientError,
  trustGenesis,
  verifyStateProofAnswer,
  verifyToHeight,
} from "../../light/index.ts";
import { buildLightChain, type NodeLightBlock, testValidators } from "../helpers/light-chain.ts";
import { proveTestPath } from "../helpers/smt-prover.ts";

/**
 * The RPC answers of proof-contract.md, written with the node's own JSON views (rpc/views.ts), decoded by
 * the light client into the very values the node holds, and fed straight into verification. Anything off
 * (a hex length, a type, a checksum, an unknown field) is refused with a message naming the field.
 */

const CHAIN = "opl-light-json";
const T0 = 1_796_000_000_000;
const pool = testValidators(20, "json");
/** Every 3 heights, half the set is replaced. */
const rotating = (h: number) => {
  const epoch = Math.floor((h - 1) / 3);
  return pool.slice(2 * epoch, 2 * epoch + 4).map((validator) => ({ validator, power: 7 }));
};

// State at each height: a few records; header H carries the root of the state after block H.
const stateAt = (h: number) => Array.from({ length: 5 + h }, (_, i) => ({
  key: new TextEncoder().encode(`bank/acct/${i}`),
  value: Uint8Array.of(h, i),
}));
const entries = (h: number) => stateAt(h).map((kv) => ({ path: treePath(kv.key), valueHash: valueHash(kv.value) }));
const chain = buildLightChain({
  chainId: CHAIN,
  genesisTimeMs: T0,
  setAt: rotating,
  stateRootAt: (h) => SparseMerkleTree.fromEntries(entries(h)).rootHash,
}, 20);

const validatorsJson = (set: Validator[]) =>
  set.map((v) => ({ address: encodeAddress(v.address), pubkey: toHex(v.pubkey), power: v.power }));
const viaJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

function lightGetBlock(b: NodeLightBlock) {
  return viaJson({
    header: headerView({ header: b.header, txs: [], lastCommit: undefined, evidence: [] }),
    headerHash: toHex(blockHash(b.header)),
    commit: commitView(b.commit),
    validators: validatorsJson(b.validators),
    nextValidators: validatorsJson(b.nextValidators),
  }) as Record<string, unknown>;
}

function stateGetProof(height: number, key: Uint8Array) {
  const b = chain.at(height);
  const kv = stateAt(height).find((x) => toHex(x.key) === toHex(key));
  const proof = proveTestPath(entries(height), treePath(key));
  return viaJson({
    height,
    key: toHex(key),
    value: kv === undefined ? null : { nonce: 0, balance: "1" },
    valueBytes: kv === undefined ? null : toHex(kv.value),
    proof: {
      siblings: proof.siblings.map(toHex),
      leaf: proof.leaf === undefined ? null : { path: toHex(proof.leaf.path), valueHash: toHex(proof.leaf.valueHash) },
    },
    stateRoot: toHex(b.header.stateRoot),
    header: headerView({ header: b.header, txs: [], lastCommit: undefined, evidence: [] }),
    headerHash: toHex(blockHash(b.header)),
    commit: commitView(b.commit),
    committedBy: `the header at height ${height} commits to the state after block ${height}; the commit is signed by the validator set of height ${height}`,
  }) as Record<string, unknown>;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof LightClientError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error("expected a refusal, but it was accepted");
}

describe("decoding the RPC answers", () => {
  it("a light_getBlock answer decodes to the node's own values", () => {
    for (const h of [1, 7, 20]) {
      expect(decodeLightBlockJson(lightGetBlock(chain.at(h)))).toEqual(chain.at(h));
    }
  });

  it("answers feed straight into the header chain and the state proof checks", async () => {
    const fetch = async (h: number) => decodeLightBlockJson(lightGetBlock(chain.at(h)));
    const verified = await verifyToHeight(trustGenesis(CHAIN, chain.genesis, T0), 17, fetch);
    expect(verified.path.length).toBeGreaterThan(1); // the sets rotate: it bisected
    const present = decodeStateProofAnswerJson(stateGetProof(17, stateAt(17)[3].key));
    expect(verifyStateProofAnswer(present, verified.block.header, verified.trusted.hash as Uint8Array))
      .toMatchObject({ kind: "inclusion", height: 17 });
    expect(present.value).toEqual({ nonce: 0, balance: "1" });
    const absentKey = new TextEncoder().encode("bank/acct/none");
    const absent = decodeStateProofAnswerJson(stateGetProof(17, absentKey));
    expect(absent.valueBytes).toBeUndefined();
    expect(verifyStateProofAnswer(absent, verified.block.header, verified.trusted.hash as Uint8Array).kind).toBe("absence");
  });

  it("a state answer for another height, header or value is refused against the verified header", async () => {
    const verified = await verifyToHeight(trustGenesis(CHAIN, chain.genesis, T0), 17, async (h) => chain.at(h));
    const hash = verified.trusted.hash as Uint8Array;
    const key = stateAt(16)[2].key;
    const header = verified.block.header;
    const check = (answer: unknown) => verifyStateProofAnswer(decodeStateProofAnswerJson(answer), header, hash);
    expect(refusal(() => check(stateGetProof(16, key))))
      .toBe("WRONG_HEIGHT: the answer is for height 16 (header 16), but the verified header is at height 17");
    // An answer about another key than the one asked (the client computes the key it asked about).
    const asked = stateAt(17)[4].key;
    const other = decodeStateProofAnswerJson(stateGetProof(17, key));
    expect(verifyStateProofAnswer(other, header, hash).kind).toBe("inclusion");
    expect(refusal(() => verifyStateProofAnswer(other, header, hash, asked)))
      .toBe(`INVALID_PROOF: the answer is about key ${toHex(key)}, but key ${toHex(asked)} was asked`);
    expect(verifyStateProofAnswer(decodeStateProofAnswerJson(stateGetProof(17, asked)), header, hash, asked).kind)
      .toBe("inclusion");
    // The value of height 16 with height 17's header and root: the proof does not lead to the root.
    const mixed = { ...stateGetProof(17, key), valueBytes: stateGetProof(16, key).valueBytes };
    expect(refusal(() => check(mixed)))
      .toMatch(/^INVALID_PROOF: the proof's leaf holds a value hashing to/);
    // A header of another chain at the same height: it hashes differently from the verified one.
    const fork = buildLightChain({ chainId: CHAIN, genesisTimeMs: T0 + 5, setAt: rotating }, 17).at(17);
    const forged = {
      ...stateGetProof(17, key),
      header: lightGetBlock(fork).header,
      headerHash: toHex(blockHash(fork.header)),
    };
    expect(refusal(() => check(forged)))
      .toMatch(/^HASH_MISMATCH: the answer's header at height 17 is \w{64}, but the verified header there is \w{64}$/);
  });

  it("refuses a header hash that is not the header's", () => {
    const answer = lightGetBlock(chain.at(3));
    answer.headerHash = toHex(blockHash(chain.at(4).header));
    expect(refusal(() => decodeLightBlockJson(answer)))
      .toMatch(/^HASH_MISMATCH: light block.headerHash is \w+, but the header hashes to \w+$/);
  });

  it("refuses malformed fields, naming each", () => {
    const header = lightGetBlock(chain.at(3)).header as Record<string, unknown>;
    const cases: [Record<string, unknown>, string][] = [
      [{ stateRoot: "ab" }, "MALFORMED: header.stateRoot must be 32 bytes (64 hex digits), got 1"],
      [{ stateRoot: (header.stateRoot as string).toUpperCase() }, "MALFORMED: header.stateRoot must be lowercase hex"],
      [{ txsRoot: 5 }, "MALFORMED: header.txsRoot must be a string, got number 5"],
      [{ height: -1 }, "MALFORMED: header.height must be an integer from 0 to 9007199254740991, got number -1"],
      [{ height: 1.5 }, "MALFORMED: header.height must be an integer"],
      [{ height: "3" }, "MALFORMED: header.height must be an integer"],
      [{ time: "2026-12-05T03:00:00Z" }, "MALFORMED: header.time must be a time like"],
      [{ time: "2026-02-30T03:00:00.000Z" }, "MALFORMED: header.time must be a time like"],
      [{ proposer: `${header.proposer as string}x` }, "MALFORMED: header.proposer"],
      [{ proposer: (header.proposer as string).replace(/.$/, (c) => (c === "q" ? "p" : "q")) }, "its bech32 checksum is wrong"],
      [{ proposer: "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a" }, "expected \"opl\""],
      [{ chainId: "bad chain" }, "MALFORMED: header.chainId \"bad chain\" is not a valid chain id"],
      [{ extra: 1 }, "MALFORMED: header has an unexpected field \"extra\""],
      [{ lastBlockHash: "" }, ""], // allowed: the first block's
      [{ lastCommitHash: "" }, "MALFORMED: header.lastCommitHash must be 32 bytes"],
    ];
    for (const [change, message] of cases) {
      const changed = { ...header, ...change };
      if (message === "") expect(decodeHeaderJson(changed).lastBlockHash).toEqual(new Uint8Array(0));
      else expect(refusal(() => decodeHeaderJson(changed)), JSON.stringify(change)).toContain(message);
    }
  });

  it("refuses malformed commits and validators", () => {
    const answer = lightGetBlock(chain.at(3));
    const commit = answer.commit as { signatures: Record<string, unknown>[]; round: number };
    expect(refusal(() => decodeCommitJson({ ...commit, round: 2 ** 32 }))).toContain("commit.round must be an integer from 0 to 4294967295");
    const sig = commit.signatures[0];
    const withSig = (s: Record<string, unknown>) => ({ ...commit, signatures: [s] });
    expect(refusal(() => decodeCommitJson(withSig({ ...sig, signature: (sig.signature as string).slice(4) }))))
      .toContain("commit.signatures[0].signature must be a 64-byte signature in base64");
    expect(refusal(() => decodeCommitJson(withSig({ ...sig, signature: "!".repeat(88) })))).toContain("base64");
    // 128 hex digits are taken as well (the contract's byte form).
    const asHex = Buffer.from(sig.signature as string, "base64").toString("hex");
    expect(decodeCommitJson(withSig({ ...sig, signature: asHex })).signatures[0].signature)
      .toEqual(chain.at(3).commit.signatures[0].signature);
    expect(refusal(() => decodeCommitJson({ ...commit, signatures: "none" }))).toContain("commit.signatures must be an array");
    const withSet = (v: unknown) => ({ ...answer, validators: v });
    const first = (answer.validators as Record<string, unknown>[])[0];
    expect(refusal(() => decodeLightBlockJson(withSet([{ ...first, pubkey: "00" }])))).toContain("light block.validators[0].pubkey must be 32 bytes");
    expect(refusal(() => decodeLightBlockJson(withSet([{ ...first, power: "7" }])))).toContain("light block.validators[0].power must be an integer");
    expect(refusal(() => decodeLightBlockJson(withSet(null)))).toContain("light block.validators must be an array, got null");
  });

  it("refuses malformed proofs", () => {
    const answer = stateGetProof(5, stateAt(5)[0].key);
    const proof = answer.proof as { siblings: string[]; leaf: Record<string, string> };
    const withProof = (p: unknown) => ({ ...answer, proof: p });
    expect(refusal(() => decodeStateProofAnswerJson(withProof({ ...proof, siblings: [...proof.siblings, "00"] }))))
      .toContain(`proof.siblings[${proof.siblings.length}] must be 32 bytes`);
    expect(refusal(() => decodeStateProofAnswerJson(withProof({ ...proof, leaf: { ...proof.leaf, valueHash: "zz" } }))))
      .toContain("proof.leaf.valueHash must be lowercase hex");
    // No leaf (absent or null) is a proof that ends in an empty subtree; the proof check judges it.
    expect(decodeStateProofAnswerJson(withProof({ siblings: proof.siblings })).proof.leaf).toBeUndefined();
    expect(refusal(() => decodeStateProofAnswerJson({ ...answer, value: undefined }))).toContain("value is missing");
    expect(refusal(() => decodeStateProofAnswerJson({ ...answer, valueBytes: 7 }))).toContain("valueBytes must be a string");
  });
});
