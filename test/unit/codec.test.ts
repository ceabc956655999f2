import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../crypto/bytes.ts";
import { generateSecretKey, publicKeyOf } from "../../crypto/ed25519.ts";
import { type Block, blockHash, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { CodecError, decodeAmount, encodeAmount, encodeMessage, MAX_AMOUNT } from "../../proto/codec.ts";
import {
  decodeAccount,
  decodeStoredAccount,
  decodeTxRecord,
  encodeAccount,
  encodeTxRecord,
  encodeTxRecordInto,
  encodeTxResult,
  type TxResult,
} from "../../proto/records.ts";
import { pb } from "../../proto/schema.ts";
import { decodeSignedVote, encodeSignedVote, PRECOMMIT } from "../../proto/consensus.ts";
import {
  decodeTx,
  decodeTxBody,
  encodeSignedTx,
  encodeTxBody,
  type TxBody,
  txSignBytes,
} from "../../proto/tx.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";

const body: TxBody = {
  chainId: "opl-test-1",
  senderPubkey: publicKeyOf(generateSecretKey()),
  nonce: 7,
  fee: 1_000_000_000_000n,
  msg: { type: "transfer", to: new Uint8Array(20).fill(9), amount: 25n * 10n ** 17n },
};

/** Protobuf building blocks for hand-made (possibly non-canonical) encodings. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
function lenField(field: number, bytes: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.byteLength)]), bytes);
}
function varintField(field: number, n: number): Uint8Array {
  return Uint8Array.from([...varint(field << 3), ...varint(n)]);
}

describe("transaction encoding", () => {
  it("round-trips a transaction body exactly", () => {
    const bytes = encodeTxBody(body);
    expect(decodeTxBody(bytes)).toEqual(body);
    expect(encodeTxBody(decodeTxBody(bytes))).toEqual(bytes);
  });

  it("decodes a signed tx and derives hash and sender", () => {
    const bodyBytes = encodeTxBody(body);
    const bytes = encodeSignedTx({ body: bodyBytes, signature: new Uint8Array(64).fill(1) });
    const tx = decodeTx(bytes);
    expect(tx.body).toEqual(body);
    expect(tx.hash).toHaveLength(32);
    expect(tx.sender).toHaveLength(20);
    expect(tx.id).toBe(Buffer.from(tx.hash).toString("hex"));
    // The relay passes the hash and id it computed to drop duplicates: the same tx, nothing computed twice.
    const relayed = decodeTx(bytes, tx.hash, tx.id);
    expect(relayed.id).toBe(tx.id);
    expect(relayed.hash).toBe(tx.hash);
    // An id alone, without its hash, is not trusted.
    expect(decodeTx(bytes, undefined, "00").id).toBe(tx.id);
  });

  it("rejects an explicit default value (nonce = 0 written out)", () => {
    const canonical = encodeTxBody({ ...body, nonce: 0 });
    // Insert "field 3 = 0" after field 2: same value, different bytes.
    const withZero = concatBytes(
      lenField(1, new TextEncoder().encode(body.chainId)),
      lenField(2, body.senderPubkey),
      varintField(3, 0),
      canonical.subarray(lenField(1, new TextEncoder().encode(body.chainId)).byteLength + 34),
    );
    expect(() => decodeTxBody(canonical)).not.toThrow();
    expect(() => decodeTxBody(withZero)).toThrow(/not canonically encoded/);
  });

  it("rejects unknown fields, reordered fields, trailing bytes and non-minimal varints", () => {
    const canonical = encodeTxBody(body);
    expect(() => decodeTxBody(concatBytes(canonical, varintField(15, 1)))).toThrow(CodecError);
    const chain = lenField(1, new TextEncoder().encode(body.chainId));
    const rest = canonical.subarray(chain.byteLength);
    expect(() => decodeTxBody(concatBytes(rest, chain))).toThrow(/not canonically encoded/);
    expect(() => decodeTxBody(concatBytes(canonical, Uint8Array.of(0)))).toThrow(CodecError);
    // nonce 7 as a two-byte varint (0x87 0x00) instead of one byte
    const nonMinimal = Buffer.from(canonical).toString("hex").replace("1807", "188700");
    expect(() => decodeTxBody(new Uint8Array(Buffer.from(nonMinimal, "hex")))).toThrow(
      /not canonically encoded/,
    );
  });

  it("rejects truncated bytes and garbage", () => {
    const bytes = encodeSignedTx({ body: encodeTxBody(body), signature: new Uint8Array(64).fill(1) });
    for (let cut = 1; cut < bytes.byteLength; cut += 7) {
      expect(() => decodeTx(bytes.subarray(0, cut))).toThrow(CodecError);
    }
    expect(() => decodeTx(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]))).toThrow(CodecError);
    expect(() => decodeTx(new TextEncoder().encode("hello world"))).toThrow(CodecError);
  });

  it("rejects a body with a bad chain id, key length or no message", () => {
    expect(() => decodeTxBody(encodeTxBody({ ...body, chainId: "bad id!" }))).toThrow(/chain id/);
    expect(() => decodeTxBody(encodeTxBody({ ...body, senderPubkey: new Uint8Array(31) }))).toThrow(
      /32 bytes/,
    );
    const noMsg = concatBytes(
      lenField(1, new TextEncoder().encode(body.chainId)),
      lenField(2, body.senderPubkey),
    );
    expect(() => decodeTxBody(noMsg)).toThrow(/no message/);
  });

  it("binds the chain id and a domain tag into the signed bytes", () => {
    const bodyBytes = encodeTxBody(body);
    expect(txSignBytes("a", bodyBytes)).not.toEqual(txSignBytes("b", bodyBytes));
    expect(txSignBytes("a", bodyBytes)).toHaveLength(32);
  });
});

describe("amounts", () => {
  it("are minimal big-endian and reject leading zeros", () => {
    expect(encodeAmount(0n)).toEqual(new Uint8Array(0));
    expect(encodeAmount(256n)).toEqual(Uint8Array.of(1, 0));
    expect(decodeAmount(Uint8Array.of(1, 0), "x")).toBe(256n);
    expect(() => decodeAmount(Uint8Array.of(0, 1), "x")).toThrow(/leading zero/);
    expect(() => decodeAmount(new Uint8Array(33).fill(1), "x")).toThrow(/32 bytes/);
    const big = 10n ** 27n;
    expect(decodeAmount(encodeAmount(big), "x")).toBe(big);
  });

  it("are the value's minimal big-endian bytes at every size up to 32 bytes", () => {
    // The reference: the value's hex digits, padded to whole bytes.
    const reference = (v: bigint) => {
      if (v === 0n) return new Uint8Array(0);
      const hex = v.toString(16);
      return new Uint8Array(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex"));
    };
    const edges = [1n, 255n, 256n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 96n, MAX_AMOUNT];
    const check = (v: bigint) => {
      expect(encodeAmount(v)).toEqual(reference(v));
      expect(decodeAmount(reference(v), "x")).toBe(v);
    };
    for (const v of edges) check(v);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_AMOUNT }), check), { numRuns: 2_000 });
    for (let bits = 1; bits <= 256; bits++) {
      fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), check), { numRuns: 8 });
    }
    expect(() => encodeAmount(MAX_AMOUNT + 1n)).toThrow(RangeError);
    expect(() => encodeAmount(-1n)).toThrow(RangeError);
  });
});

describe("blocks and votes", () => {
  const block: Block = {
    header: sampleHeader(5, 1_700_000_000_000),
    txs: [Uint8Array.of(1, 2, 3)],
    lastCommit: {
      height: 4,
      round: 1,
      blockHash: h32(1),
      signatures: [
        { validatorAddress: new Uint8Array(20).fill(7), timeMs: 5, signature: new Uint8Array(64).fill(3) },
      ],
    },
    evidence: [],
  };

  it("round-trip canonically, and the hash covers the header", () => {
    const bytes = encodeBlock(block);
    expect(decodeBlock(bytes)).toEqual(block);
    const other = { ...block.header, stateRoot: h32(9) };
    expect(blockHash(other)).not.toEqual(blockHash(block.header));
    expect(() => decodeBlock(concatBytes(bytes, varintField(9, 1)))).toThrow(CodecError);
  });

  it("signed votes round-trip and reject unknown vote types", () => {
    const vote = {
      vote: {
        type: PRECOMMIT,
        height: 3,
        round: 0,
        blockHash: h32(1),
        timeMs: 9,
        validatorAddress: new Uint8Array(20),
      },
      signature: new Uint8Array(64).fill(2),
    } as const;
    const bytes = encodeSignedVote(vote);
    expect(decodeSignedVote(bytes)).toEqual(vote);
    const bad = encodeSignedVote({ ...vote, vote: { ...vote.vote, type: 3 as unknown as typeof PRECOMMIT } });
    expect(() => decodeSignedVote(bad)).toThrow(/neither prevote nor precommit/);
  });

  it("the hand-written tx record encoder writes exactly protobufjs's canonical bytes, and they decode back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 40 }),
        fc.string(),
        (height, index, tx, code, log) => {
          const resultBytes = encodeTxResult({ code, log, events: [] });
          const mine = encodeTxRecord({ height, index, tx, resultBytes });
          const reference = encodeMessage(pb.TxRecord, { height, index, tx, result: resultBytes });
          expect(mine).toEqual(reference);
          // Into a scratch: the same bytes, a view of the scratch when they fit, an array of their own if not.
          const scratch = new Uint8Array(128).fill(0xee);
          const into = encodeTxRecordInto({ height, index, tx, resultBytes }, scratch);
          expect(into).toEqual(reference);
          expect(into.buffer === scratch.buffer).toBe(reference.byteLength <= scratch.byteLength);
          const back = decodeTxRecord(mine);
          expect([back.height, back.index, back.tx, back.resultBytes]).toEqual([height, index, tx, resultBytes]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("the hand-written account codec writes protobufjs's canonical bytes (they are hashed into the state root)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        (nonce, balance) => {
          const mine = encodeAccount({ nonce, balance });
          expect(mine).toEqual(encodeMessage(pb.Account, { nonce, balance: encodeAmount(balance) }));
          expect(decodeStoredAccount(mine)).toEqual({ nonce, balance });
          expect(decodeAccount(mine)).toEqual({ nonce, balance });
        },
      ),
      { numRuns: 1000 },
    );
    expect(encodeAccount({ nonce: 0, balance: 0n })).toEqual(new Uint8Array(0));
  });

  it("the hand-written result encoder writes protobufjs's canonical bytes (the results root commits to them)", () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));
    const result = fc.record({
      code: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      log: text,
      events: fc.array(
        fc.record({ type: text, attributes: fc.array(fc.record({ key: text, value: text }), { maxLength: 4 }) }),
        { maxLength: 4 },
      ),
    });
    fc.assert(
      fc.property(result, (r) => {
        expect(encodeTxResult(r)).toEqual(encodeMessage(pb.TxResult, r as TxResult & Record<string, unknown>));
      }),
      { numRuns: 500 },
    );
  });
});
