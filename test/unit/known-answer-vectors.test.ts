import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { publicKeyOf, verify } from "../../crypto/ed25519.ts";
import { decodeCommit, decodeHeader } from "../../proto/block.ts";
import { decodeSignedProposal, decodeSignedVote } from "../../proto/consensus.ts";
import { decodeTx } from "../../proto/tx.ts";
import { verifyCommit } from "../../consensus/validator-set.ts";
import {
  answers,
  fromJsonValue,
  hexBytes,
  RULES,
  type RuleId,
  secretKeyOf,
  specOf,
  type Vector,
  type VectorFile,
  type VectorInput,
} from "../vectors/known-answers.ts";

/**
 * Every consensus-critical encoding, hash and signature, recomputed by today's code from the fixed inputs of
 * test/vectors/known-answers.json and compared byte for byte with the answers written there when the
 * vectors were made. A change of any rule (a field number or order, a domain tag, a separator, the chain
 * id's binding, the hash) fails here with the rule's id and statement, as docs/encoding.md gives it.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const file = JSON.parse(readFileSync(join(ROOT, "test", "vectors", "known-answers.json"), "utf8")) as VectorFile;
const inputOf = (v: Vector) => fromJsonValue<VectorInput>(v.input);
const byName = (name: string) => {
  const v = file.vectors.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector "${name}"`);
  return v;
};

function broken(v: Vector, rule: RuleId, what = "no longer gives the answer it pinned"): string {
  return `vector "${v.name}" ${what}: rule ${rule} (${specOf(rule)}#${rule.toLowerCase()}): ${RULES[rule]}`;
}

const sha256 = (...parts: (Uint8Array | string)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ZERO = Uint8Array.of(0);

describe("known-answer vectors: the code gives every pinned answer", () => {
  it.each(file.vectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const got = answers(inputOf(v), file.keys);
    expect(got.map(([rule]) => rule), `the rules pinned by vector "${v.name}"`).toEqual(Object.keys(v.expect));
    // In derivation order: the first answer that differs names the rule that changed.
    for (const [rule, value] of got) expect(value, broken(v, rule)).toBe(v.expect[rule]);
  });

  it("every rule is pinned by a vector and stated in the spec", () => {
    const pinned = new Set(file.vectors.flatMap((v) => Object.keys(v.expect)));
    for (const rule of Object.keys(RULES) as RuleId[]) {
      expect(pinned.has(rule), `rule ${rule} has a vector`).toBe(true);
      expect(readFileSync(join(ROOT, specOf(rule)), "utf8"), `${specOf(rule)} states rule ${rule}`).toContain(`### ${rule}\n`);
    }
  });
});

describe("known-answer vectors: the pinned bytes decode back to their inputs and their signatures verify", () => {
  it.each(file.vectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const input = inputOf(v);
    const publicKey = (name: string) => publicKeyOf(secretKeyOf(file.keys, name));
    const answer = (rule: RuleId) => hexBytes(v.expect[rule]);
    switch (input.kind) {
      case "ed25519":
        expect(verify(input.message, answer("ED25519-SIGNATURE"), publicKey(input.key)), broken(v, "ED25519-SIGNATURE", "does not verify")).toBe(true);
        return;
      case "tx": {
        const tx = decodeTx(answer("SIGNED-TX"));
        expect(tx.body, broken(v, "TX-BODY", "does not decode to its input")).toEqual(input.body);
        expect(hex(tx.hash), broken(v, "TX-HASH")).toBe(v.expect["TX-HASH"]);
        expect(verify(answer("TX-SIGN-BYTES"), tx.signature, publicKey(input.key)), broken(v, "TX-SIGNATURE", "does not verify")).toBe(true);
        return;
      }
      case "vote": {
        const sv = decodeSignedVote(answer("SIGNED-VOTE"));
        expect(sv.vote, broken(v, "VOTE", "does not decode to its input")).toEqual(input.vote);
        expect(verify(answer("VOTE-SIGN-BYTES"), sv.signature, publicKey(input.key)), broken(v, "VOTE-SIGNATURE", "does not verify")).toBe(true);
        return;
      }
      case "proposal": {
        const sp = decodeSignedProposal(answer("SIGNED-PROPOSAL"));
        expect(sp.proposal, broken(v, "PROPOSAL", "does not decode to its input")).toEqual(input.proposal);
        expect(verify(answer("PROPOSAL-SIGN-BYTES"), sp.signature, publicKey(input.key)), broken(v, "PROPOSAL-SIGNATURE", "does not verify")).toBe(true);
        return;
      }
      case "possession":
        expect(verify(answer("POSSESSION-SIGN-BYTES"), answer("POSSESSION-SIGNATURE"), publicKey(input.key)), broken(v, "POSSESSION-SIGNATURE", "does not verify")).toBe(true);
        return;
      case "header":
        expect(decodeHeader(answer("HEADER")), broken(v, "HEADER", "does not decode to its input")).toEqual(input.header);
        return;
      case "commit": {
        // The commit is checked as a node checks a last commit or a synced block's commit.
        const set = fromJsonValue<VectorInput>(byName("validator-set/three").input);
        if (set.kind !== "validator-set") throw new Error("validator-set/three is not a validator set");
        const validators = set.validators.map((x) => {
          const pubkey = publicKey(x.key);
          return { address: addressFromPublicKey(pubkey), pubkey, power: x.power };
        });
        const commit = decodeCommit(answer("COMMIT"));
        expect(verifyCommit("opl-kat-1", validators, input.height, input.blockHash, commit), broken(v, "COMMIT-SIGNATURES", "is not a valid commit")).toBeUndefined();
        return;
      }
      default:
        return; // keys, validator sets, txs roots: their answers are all that is pinned
    }
  });
});

/**
 * The spec's formulas, computed here from their own statement (node:crypto, the literal tags) over the
 * fixture's bytes: docs/encoding.md and the answers say the same thing.
 */
/** RFC 6962's shape: pairs hashed as 0x01 || left || right, an odd last node carried up, none = sha256(""). */
function rfc6962Root(hashes: Uint8Array[]): Uint8Array {
  let level = hashes.length === 0 ? [sha256()] : hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? sha256(Uint8Array.of(1), level[i], level[i + 1]) : level[i]);
    }
    level = next;
  }
  return level[0];
}

/** The compact sparse Merkle tree's root, from its definition: split on path bits, one entry is its leaf. */
function sparseRoot(entries: { path: Uint8Array; valueHash: Uint8Array }[], depth: number): Uint8Array {
  if (entries.length === 0) return new Uint8Array(32);
  if (entries.length === 1) return sha256(ZERO, entries[0].path, entries[0].valueHash);
  const bit = (p: Uint8Array) => (p[depth >> 3] >> (7 - (depth & 7))) & 1;
  const left = sparseRoot(entries.filter((e) => bit(e.path) === 0), depth + 1);
  const right = sparseRoot(entries.filter((e) => bit(e.path) === 1), depth + 1);
  return sha256(Uint8Array.of(1), left, right);
}

/** The leaves sha256(0x00 || item) of a comma-separated list of hex items. */
const leaves = (list: string) => (list === "" ? [] : list.split(",").map((item) => sha256(ZERO, hexBytes(item))));

describe("known-answer vectors: the answers follow the formulas of docs/encoding.md", () => {
  const tagged = (tag: string, chainId: string, bytes: Uint8Array) => hex(sha256(tag, ZERO, chainId, ZERO, bytes));
  it.each(file.vectors.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const input = inputOf(v);
    const answer = (rule: RuleId) => hexBytes(v.expect[rule]);
    switch (input.kind) {
      case "key":
        expect(v.expect.ADDRESS, broken(v, "ADDRESS")).toBe(hex(sha256(answer("PUBLIC-KEY")).subarray(0, 20)));
        return;
      case "tx":
        expect(v.expect["TX-SIGN-BYTES"], broken(v, "TX-SIGN-BYTES")).toBe(tagged("OPL/tx/v1", input.body.chainId, answer("TX-BODY")));
        expect(v.expect["TX-HASH"], broken(v, "TX-HASH")).toBe(hex(sha256(answer("SIGNED-TX"))));
        return;
      case "vote":
        expect(v.expect["VOTE-SIGN-BYTES"], broken(v, "VOTE-SIGN-BYTES")).toBe(tagged("OPL/vote/v1", input.chainId, answer("VOTE")));
        return;
      case "proposal":
        expect(v.expect["PROPOSAL-SIGN-BYTES"], broken(v, "PROPOSAL-SIGN-BYTES")).toBe(tagged("OPL/proposal/v1", input.chainId, answer("PROPOSAL")));
        return;
      case "possession":
        expect(v.expect["POSSESSION-SIGN-BYTES"], broken(v, "POSSESSION-SIGN-BYTES")).toBe(tagged("OPL/consensus-key-possession/v1", input.chainId, input.operator));
        return;
      case "validator-set": {
        const addressOf = (key: string) => hex(sha256(publicKeyOf(secretKeyOf(file.keys, key))).subarray(0, 20));
        const order = input.validators.map((x) => ({ power: x.power, address: addressOf(x.key) }));
        const sorted = [...order].sort((a, b) => b.power - a.power || (a.address < b.address ? -1 : 1));
        expect(order, broken(v, "VALIDATOR-SET", "is not in the set's order")).toEqual(sorted);
        expect(v.expect["VALIDATORS-HASH"], broken(v, "VALIDATORS-HASH")).toBe(hex(sha256(answer("VALIDATOR-SET"))));
        return;
      }
      case "header":
        expect(v.expect["BLOCK-HASH"], broken(v, "BLOCK-HASH")).toBe(hex(sha256(answer("HEADER"))));
        return;
      case "commit":
        expect(v.expect["COMMIT-HASH"], broken(v, "COMMIT-HASH")).toBe(hex(sha256(answer("COMMIT"))));
        return;
      case "no-commit":
        expect(v.expect["COMMIT-HASH"], broken(v, "COMMIT-HASH")).toBe(hex(sha256()));
        return;
      case "state-root": {
        const paths = input.accounts.map((a) => sha256("bank/acct/", a.address));
        if (input.supply !== undefined) paths.push(sha256("bank/supply"));
        const values = v.expect.ACCOUNT === "" ? [] : v.expect.ACCOUNT.split(",").map((x) => sha256(hexBytes(x)));
        const entries = paths.map((path, i) => ({ path, valueHash: values[i] }));
        expect(v.expect["STATE-ROOT"], broken(v, "STATE-ROOT")).toBe(hex(sparseRoot(entries, 0)));
        return;
      }
      case "txs-root":
        expect(v.expect["TXS-ROOT"], broken(v, "TXS-ROOT")).toBe(hex(rfc6962Root(input.txs.map((t) => sha256(t)))));
        return;
      case "results-root":
        expect(v.expect["RESULTS-ROOT"], broken(v, "RESULTS-ROOT")).toBe(hex(rfc6962Root(leaves(v.expect["TX-RESULT"]))));
        return;
      case "evidence-root":
        expect(v.expect["EVIDENCE-ROOT"], broken(v, "EVIDENCE-ROOT")).toBe(hex(rfc6962Root(leaves(v.expect.EVIDENCE))));
        return;
      default:
        return;
    }
  });
});
