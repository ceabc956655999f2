import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADDRESS_LENGTH } from "../../crypto/address.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../../crypto/ed25519.ts";
import { bytesField, decodeAmount, decodeCanonical, fixedBytes, uint } from "../../proto/codec.ts";
import { moduleMsgFrom } from "../../proto/module-msgs.ts";
import { pb } from "../../proto/schema.ts";
import { CHAIN_ID_RE, decodeTx, encodeSignedTx, encodeTxBody } from "../../proto/tx.ts";

/**
 * The hand-read transaction decoder (proto/canonical-reader.ts) against the generic one it replaced:
 * protobufjs decoding plus the re-encode check. On valid transactions and on every kind of damage (flipped,
 * inserted, deleted, truncated bytes; unknown, repeated and reordered fields) both must agree on accept or
 * refuse, and on what they decode.
 */
function referenceDecode(bytes: Uint8Array) {
  const f = decodeCanonical(pb.SignedTx, bytes, "signed transaction");
  const bodyBytes = bytesField(f.body);
  if (bodyBytes.byteLength === 0) throw new Error("no body");
  const signature = fixedBytes(f.signature, SIGNATURE_LENGTH, "signature");
  const b = decodeCanonical(pb.TxBody, bodyBytes, "transaction body");
  // Damage can turn a transfer into a module message of the same shape (e.g. field 16 -> 18, a stake):
  // the generic decoder reads those through the module codecs.
  const msg = b.transfer
    ? {
        type: "transfer",
        to: fixedBytes(b.transfer.to, ADDRESS_LENGTH, "to"),
        amount: decodeAmount(b.transfer.amount, "amount"),
      }
    : moduleMsgFrom(b);
  if (msg === undefined) throw new Error("no message");
  const chainId = typeof b.chainId === "string" ? b.chainId : "";
  if (!CHAIN_ID_RE.test(chainId)) throw new Error("chain id");
  const body = {
    chainId,
    senderPubkey: fixedBytes(b.senderPubkey, PUBLIC_KEY_LENGTH, "pubkey"),
    nonce: uint(b.nonce, "nonce"),
    fee: decodeAmount(b.fee, "fee"),
    msg,
  };
  return { body, bodyBytes, signature };
}

function verdict(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): string {
  try {
    const d = decode(bytes) as { body: unknown; bodyBytes: Uint8Array; signature: Uint8Array };
    return JSON.stringify({ body: d.body, bodyBytes: [...d.bodyBytes], signature: [...d.signature] }, (_k, v) =>
      typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? [...v] : v);
  } catch {
    return "refused";
  }
}

const validTx = fc
  .record({
    chainId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
    pubkey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    nonce: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
    fee: fc.bigInt({ min: 0n, max: (1n << 100n) }),
    to: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    amount: fc.bigInt({ min: 0n, max: (1n << 100n) }),
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map((t) =>
    encodeSignedTx({
      body: encodeTxBody({
        chainId: t.chainId,
        senderPubkey: t.pubkey,
        nonce: t.nonce,
        fee: t.fee,
        msg: { type: "transfer", to: t.to, amount: t.amount },
      }),
      signature: t.signature,
    }));

const damage = fc.oneof(
  fc.record({ kind: fc.constant("flip"), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("insert"), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat() }),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }),
  fc.record({ kind: fc.constant("append"), extra: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
);

function apply(bytes: Uint8Array, d: { kind: string; at?: number; bit?: number; byte?: number; extra?: Uint8Array }) {
  const b = [...bytes];
  const at = (d.at ?? 0) % (b.length + 1);
  if (d.kind === "flip" && b.length > 0) b[at % b.length] ^= 1 << (d.bit ?? 0);
  if (d.kind === "insert") b.splice(at, 0, d.byte ?? 0);
  if (d.kind === "delete" && b.length > 0) b.splice(at % b.length, 1);
  if (d.kind === "truncate") b.length = at;
  if (d.kind === "append") b.push(...(d.extra ?? []));
  return Uint8Array.from(b);
}

describe("the hand-read transaction decoder", () => {
  it("decodes every valid transaction exactly as the generic decoder does", () => {
    fc.assert(
      fc.property(validTx, (bytes) => {
        const mine = verdict(decodeTx, bytes);
        expect(mine).not.toBe("refused");
        expect(mine).toBe(verdict(referenceDecode, bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses exactly what the generic decoder refuses, under any damage", () => {
    fc.assert(
      fc.property(validTx, fc.array(damage, { minLength: 1, maxLength: 3 }), (bytes, damages) => {
        const broken = damages.reduce(apply, bytes);
        expect(verdict(decodeTx, broken)).toBe(verdict(referenceDecode, broken));
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses the non-canonical forms by name: repeated, reordered, unknown, zero, empty, padded", () => {
    const good = fc.sample(validTx, { numRuns: 1, seed: 7 })[0];
    const body = decodeCanonical(pb.SignedTx, good, "tx").body as Uint8Array;
    const sig = new Uint8Array(64).fill(1);
    const signed = (...parts: number[][]) => Uint8Array.from(parts.flat());
    const field = (tag: number, b: Uint8Array | number[]) => [tag, b.length, ...b];
    const cases = {
      reordered: signed(field(0x12, sig), field(0x0a, body)),
      repeated: signed(field(0x0a, body), field(0x0a, body), field(0x12, sig)),
      unknown: signed(field(0x0a, body), field(0x12, sig), [0x18, 0x01]),
      emptyBody: signed(field(0x0a, []), field(0x12, sig)),
      paddedLength: signed([0x0a, 0x80 | body.length, 0x00, ...body], field(0x12, sig)),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      expect(verdict(decodeTx, bytes), name).toBe("refused");
      expect(verdict(referenceDecode, bytes), name).toBe("refused");
    }
  });

  it("checks every chain id it has not just read: the same one again is the same string, another is checked", () => {
    const tx = (chainId: string) =>
      encodeSignedTx({
        body: encodeTxBody({
          chainId,
          senderPubkey: new Uint8Array(32).fill(3),
          nonce: 1,
          fee: 10n,
          msg: { type: "transfer", to: new Uint8Array(20).fill(4), amount: 5n },
        }),
        signature: new Uint8Array(64).fill(1),
      });
    const first = decodeTx(tx("opl-a"));
    expect(decodeTx(tx("opl-a")).body.chainId).toBe(first.body.chainId);
    expect(decodeTx(tx("opl-b")).body.chainId).toBe("opl-b"); // same length, other bytes
    expect(verdict(decodeTx, tx("opl a"))).toBe("refused"); // same length, not a chain id
    expect(decodeTx(tx("opl-a")).body.chainId).toBe("opl-a");
    expect(verdict(decodeTx, tx(""))).toBe("refused");
  });

  it("keeps no view of the body or the signature with the decoded tx: they are read from its bytes when asked for", () => {
    const body = encodeTxBody({
      chainId: "opl-views",
      senderPubkey: new Uint8Array(32).fill(3),
      nonce: 1,
      fee: 10n,
      msg: { type: "transfer", to: new Uint8Array(20).fill(4), amount: 5n },
    });
    const signature = new Uint8Array(64).fill(1);
    const tx = decodeTx(encodeSignedTx({ body, signature }));
    expect(tx.bodyBytes).toEqual(body);
    expect(tx.signature).toEqual(signature);
    expect(tx.bodyBytes.buffer).toBe(tx.bytes.buffer);
    // What a pending tx holds (its own properties): the bytes, and no second or third view of them.
    const views = Object.values(tx).filter((v) => v instanceof Uint8Array && v.buffer === tx.bytes.buffer);
    expect(views).toEqual([tx.bytes]);
  });
});
