import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as node from "../../proto/block.ts";
import * as nodeConsensus from "../../proto/consensus.ts";
import * as light from "../../light/index.ts";
import { fromJsonValue, hexBytes, type VectorFile, type VectorInput } from "../vectors/known-answers.ts";

/**
 * The light client re-implements the node's hashed encodings with a hand-written protobuf writer. Two
 * checks hold it to the node: the pinned known-answer vectors (test/vectors/known-answers.json), and the
 * node's own encoders on random values.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const file = JSON.parse(readFileSync(join(ROOT, "test", "vectors", "known-answers.json"), "utf8")) as VectorFile;
const hex = light.toHex;

function pubkeyOf(name: string): Uint8Array {
  return ed25519.getPublicKey(hexBytes(file.keys[name].secretKey));
}

const vectorsOf = (kinds: string[]) =>
  file.vectors.filter((v) => kinds.includes((v.input as { kind: string }).kind)).map((v) => [v.name, v] as const);

describe("light encodings give the known answers", () => {
  it.each(vectorsOf(["header", "vote", "validator-set", "commit", "no-commit"]))("%s", (_name, v) => {
    const input = fromJsonValue<VectorInput>(v.input);
    const expect_ = v.expect;
    switch (input.kind) {
      case "header":
        expect(hex(light.encodeHeader(input.header))).toBe(expect_.HEADER);
        expect(hex(light.headerHash(input.header))).toBe(expect_["BLOCK-HASH"]);
        return;
      case "vote": {
        expect(hex(light.encodeVote(input.vote))).toBe(expect_.VOTE);
        const signBytes = light.voteSignBytes(input.chainId, input.vote);
        expect(hex(signBytes)).toBe(expect_["VOTE-SIGN-BYTES"]);
        expect(ed25519.verify(hexBytes(expect_["VOTE-SIGNATURE"]), signBytes, pubkeyOf(input.key))).toBe(true);
        return;
      }
      case "validator-set": {
        const set = input.validators.map((x) => {
          const pubkey = pubkeyOf(x.key);
          return { address: light.addressOf(pubkey), pubkey, power: x.power };
        });
        expect(hex(light.encodeValidatorSet(set))).toBe(expect_["VALIDATOR-SET"]);
        expect(hex(light.validatorsHash(set))).toBe(expect_["VALIDATORS-HASH"]);
        // The vector lists the set in the node's order: sorting it in any order gives it back.
        expect(light.sortValidators([...set].reverse())).toEqual(set);
        return;
      }
      case "commit": {
        const signatures = expect_["COMMIT-SIGNATURES"].split(",").map((s, i) => ({
          validatorAddress: light.addressOf(pubkeyOf(input.signers[i].key)),
          timeMs: input.signers[i].timeMs,
          signature: hexBytes(s),
        }));
        const commit = { height: input.height, round: input.round, blockHash: input.blockHash, signatures };
        expect(hex(light.encodeCommit(commit))).toBe(expect_.COMMIT);
        expect(hex(light.commitHash(commit))).toBe(expect_["COMMIT-HASH"]);
        // Each signature is a precommit the light client's sign bytes verify.
        for (const [i, s] of signatures.entries()) {
          const { height, round, blockHash } = input;
          const { timeMs, validatorAddress } = s;
          const vote = { type: light.PRECOMMIT, height, round, blockHash, timeMs, validatorAddress } as const;
          const signBytes = light.voteSignBytes(input.chainId, vote);
          expect(ed25519.verify(s.signature, signBytes, pubkeyOf(input.signers[i].key))).toBe(true);
        }
        return;
      }
      case "no-commit":
        expect(hex(light.commitHash(undefined))).toBe(expect_["COMMIT-HASH"]);
        return;
      default:
        throw new Error(`unexpected vector kind ${input.kind}`);
    }
  });
});

// ---- random values, compared with the node's encoders ----

const uint = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.maxSafeInteger().filter((n) => n >= 0));
const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const hash = bytesOf(32);
const address = bytesOf(20);
const chainId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

const header = fc.record({
  chainId,
  height: uint,
  timeMs: uint,
  lastBlockHash: fc.oneof(fc.constant(new Uint8Array(0)), hash),
  lastCommitHash: hash,
  txsRoot: hash,
  stateRoot: hash,
  resultsRoot: hash,
  validatorsHash: hash,
  nextValidatorsHash: hash,
  proposerAddress: address,
  evidenceRoot: hash,
});
const vote = fc.record({
  type: fc.constantFrom(light.PREVOTE, light.PRECOMMIT),
  height: uint,
  round: uint32,
  blockHash: fc.oneof(fc.constant(new Uint8Array(0)), hash),
  timeMs: uint,
  validatorAddress: address,
});
const validators = fc.array(fc.record({ address, pubkey: hash, power: uint }), { maxLength: 8 });
const commit = fc.record({
  height: uint,
  round: uint32,
  blockHash: hash,
  signatures: fc.array(
    fc.record({ validatorAddress: address, timeMs: uint, signature: bytesOf(64) }),
    { maxLength: 6 },
  ),
});

describe("light encodings equal the node's on random values", () => {
  it("headers and block hashes", () => {
    fc.assert(fc.property(header, (h) => {
      expect(hex(light.encodeHeader(h))).toBe(hex(node.encodeHeader(h)));
      expect(hex(light.headerHash(h))).toBe(hex(node.blockHash(h)));
    }), { numRuns: 300 });
  });

  it("vote sign bytes", () => {
    fc.assert(fc.property(chainId, vote, (id, v) => {
      expect(hex(light.encodeVote(v))).toBe(hex(nodeConsensus.encodeVote(v)));
      expect(hex(light.voteSignBytes(id, v))).toBe(hex(nodeConsensus.voteSignBytes(id, v)));
    }), { numRuns: 300 });
  });

  it("validator set hashes", () => {
    fc.assert(fc.property(validators, (set) => {
      expect(hex(light.validatorsHash(set))).toBe(hex(node.validatorsHash(set)));
    }), { numRuns: 200 });
  });

  it("commit hashes", () => {
    fc.assert(fc.property(commit, (c) => {
      expect(hex(light.commitHash(c))).toBe(hex(node.commitHash(c)));
    }), { numRuns: 200 });
  });

  it("hex and base64 round trips, and refusals of non-canonical text", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 70 }), (b) => {
      expect(light.fromHex(light.toHex(b))).toEqual(b);
      expect(light.toBase64(b)).toBe(Buffer.from(b).toString("base64"));
      expect(light.fromBase64(light.toBase64(b))).toEqual(b);
    }));
    expect(light.fromHex("ABCD")).toBeUndefined();
    expect(light.fromHex("abc")).toBeUndefined();
    expect(light.fromBase64("AB==")).toBeUndefined(); // non-zero unused bits
    expect(light.fromBase64("A===")).toBeUndefined();
    expect(light.fromBase64("AA=A")).toBeUndefined();
  });
});
