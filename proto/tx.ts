import { ADDRESS_LENGTH, senderOf } from "../crypto/address.ts";
import { toHex, utf8 } from "../crypto/bytes.ts";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from "../crypto/ed25519.ts";
import { sha256 } from "../crypto/hash.ts";
import {
  CodecError,
  decodeAmount,
  decodeAmountIn,
  decodeCanonical,
  encodeAmount,
  encodeMessage,
  type Fields,
  fixedBytes,
  uint,
} from "./codec.ts";
import { type ModuleMsg, moduleMsgFields, moduleMsgFrom, str } from "./module-msgs.ts";
import { CanonicalReader, WIRE_LEN, WIRE_VARINT } from "./canonical-reader.ts";
import { pb } from "./schema.ts";
import { TX_BODY_LISTS } from "./tx-lists.ts";

export interface TransferMsg {
  type: "transfer";
  to: Uint8Array;
  amount: bigint;
}

/** The one message a transaction carries. Modules add variants here (and a oneof field in opl.proto). */
export type TxMsg = TransferMsg | ModuleMsg;

export interface TxBody {
  chainId: string;
  senderPubkey: Uint8Array;
  nonce: number;
  fee: bigint;
  msg: TxMsg;
}

/** A transaction as it travels: the signed body bytes and the signature over them. */
export interface SignedTx {
  body: Uint8Array;
  signature: Uint8Array;
}

/** A fully decoded, canonical transaction with everything derived once. */
export interface DecodedTx {
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  /** The hash in hex: the tx's key in the mempool and caches, computed once. */
  readonly id: string;
  readonly body: TxBody;
  /** Views into `bytes` (decodeTx's tx makes them on each read). */
  readonly bodyBytes: Uint8Array;
  readonly signature: Uint8Array;
  /** The sender's address: shared by every decoded tx of this sender (crypto/address.ts senderOf), never written. */
  readonly sender: Uint8Array;
  /** keyId(sender) (crypto/bytes.ts shortBytesId): the sender's key in the mempool's maps, computed once. */
  readonly senderId: string;
}

/** Chain ids are short printable identifiers, e.g. `opl-devnet-1`; no separator bytes can hide inside. */
export const CHAIN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function msgFields(msg: TxMsg): Fields {
  if (msg.type === "transfer") return { transfer: { to: msg.to, amount: encodeAmount(msg.amount) } };
  return moduleMsgFields(msg);
}

export function encodeTxBody(body: TxBody): Uint8Array {
  return encodeMessage(pb.TxBody, {
    chainId: body.chainId,
    senderPubkey: body.senderPubkey,
    nonce: body.nonce,
    fee: encodeAmount(body.fee),
    ...msgFields(body.msg),
  });
}

const NONE = new Uint8Array(0);

/**
 * Decodes a canonical TxBody. Hand-read (proto/canonical-reader.ts) rather than through protobufjs: every
 * node decodes every transaction; test/unit/codec.test.ts holds it to decodeCanonical's verdicts.
 */
export function decodeTxBody(bytes: Uint8Array): TxBody {
  return decodeTxBodyIn(bytes, 0, bytes.byteLength);
}

/** decodeTxBody of bytes[start..end) (a signed tx's body, read where it lies: no view of it is made). */
function decodeTxBodyIn(bytes: Uint8Array, start: number, end: number): TxBody {
  const r = new CanonicalReader(bytes, "transaction body", start, end);
  // Values used as they lie in the bytes (no view each): the chain id, the fee, the message and its amount.
  let chainIdStart = 0;
  let chainIdEnd = 0;
  if (r.next(1, WIRE_LEN)) {
    chainIdStart = r.lengthDelimitedStart();
    chainIdEnd = r.valueEnd;
  }
  const senderPubkey = r.next(2, WIRE_LEN) ? r.lengthDelimited() : NONE;
  const nonce = r.next(3, WIRE_VARINT) ? r.uint() : 0;
  let feeStart = 0;
  let feeEnd = 0;
  if (r.next(4, WIRE_LEN)) {
    feeStart = r.lengthDelimitedStart();
    feeEnd = r.valueEnd;
  }
  let msg: TxMsg;
  if (r.next(16, WIRE_LEN)) {
    const start = r.lengthDelimitedStart(true);
    const m = new CanonicalReader(bytes, "transfer message", start, r.valueEnd);
    const to = m.next(1, WIRE_LEN) ? m.lengthDelimited() : NONE;
    let amountStart = 0;
    let amountEnd = 0;
    if (m.next(2, WIRE_LEN)) {
      amountStart = m.lengthDelimitedStart();
      amountEnd = m.valueEnd;
    }
    m.end();
    msg = {
      type: "transfer",
      to: fixedBytes(to, ADDRESS_LENGTH, "transfer recipient"),
      amount: decodeAmountIn(bytes, amountStart, amountEnd, "transfer amount"),
    };
  } else if ((r.peekField() ?? 0) > 16) {
    // The module messages (fields 17 and up) are rarer than transfers: protobufjs reads them.
    return decodeModuleTxBody(start === 0 && end === bytes.byteLength ? bytes : bytes.subarray(start, end));
  } else {
    r.end(); // an unknown field is refused before the missing message is
    throw new CodecError("transaction body carries no message");
  }
  r.end();
  return {
    chainId: chainIdIn(bytes, chainIdStart, chainIdEnd),
    senderPubkey: fixedBytes(senderPubkey, PUBLIC_KEY_LENGTH, "sender public key"),
    nonce,
    fee: decodeAmountIn(bytes, feeStart, feeEnd, "fee"),
    msg,
  };
}

/** The last chain id read, as bytes and text: every tx of a chain carries the same one. */
let lastChainId: { bytes: Uint8Array; text: string } = { bytes: NONE, text: "" };

/**
 * The chain id in bytes[start..end), checked against CHAIN_ID_RE. The same bytes as the last valid one give
 * the same string, with no new string, Buffer or pattern match per tx (and pending txs share that string).
 */
function chainIdIn(bytes: Uint8Array, start: number, end: number): string {
  const last = lastChainId;
  if (end - start === last.bytes.byteLength && end > start) {
    let same = true;
    for (let i = start, j = 0; i < end; i++, j++) {
      if (bytes[i] !== last.bytes[j]) {
        same = false;
        break;
      }
    }
    if (same) return last.text;
  }
  // Chain ids are ASCII by their pattern, so latin1 reads exactly the characters the pattern checks.
  const chainId = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("latin1");
  if (!CHAIN_ID_RE.test(chainId)) {
    throw new CodecError(`transaction chain id "${chainId}" is not a valid chain id`);
  }
  lastChainId = { bytes: bytes.slice(start, end), text: chainId };
  return chainId;
}

function decodeModuleTxBody(bytes: Uint8Array): TxBody {
  const f = decodeCanonical(pb.TxBody, bytes, "transaction body", TX_BODY_LISTS);
  const msg = moduleMsgFrom(f);
  if (msg === undefined) throw new CodecError("transaction body carries no message");
  const chainId = str(f.chainId);
  if (!CHAIN_ID_RE.test(chainId)) throw new CodecError(`transaction chain id "${chainId}" is not a valid chain id`);
  return {
    chainId,
    senderPubkey: fixedBytes(f.senderPubkey, PUBLIC_KEY_LENGTH, "sender public key"),
    nonce: uint(f.nonce, "nonce"),
    fee: decodeAmount(f.fee, "fee"),
    msg,
  };
}

export function encodeSignedTx(tx: SignedTx): Uint8Array {
  return encodeMessage(pb.SignedTx, { body: tx.body, signature: tx.signature });
}

export function txHash(txBytes: Uint8Array): Uint8Array {
  return sha256(txBytes);
}

/**
 * Decodes signed-transaction bytes, checking canonical form all the way down. Throws CodecError.
 * `hash` may pass txHash(bytes) when the caller already computed it (the relay does, to deduplicate), and
 * with it `id`, toHex(hash), when the caller made that too (the relay's duplicate check keys by it).
 */
export function decodeTx(bytes: Uint8Array, hash?: Uint8Array, id?: string): DecodedTx {
  const r = new CanonicalReader(bytes, "signed transaction");
  let bodyStart = 0;
  let bodyEnd = 0;
  if (r.next(1, WIRE_LEN)) {
    bodyStart = r.lengthDelimitedStart();
    bodyEnd = r.valueEnd;
  }
  let signatureStart = 0;
  let signatureEnd = 0;
  if (r.next(2, WIRE_LEN)) {
    signatureStart = r.lengthDelimitedStart();
    signatureEnd = r.valueEnd;
  }
  r.end();
  if (bodyEnd === bodyStart) throw new CodecError("signed transaction has no body");
  if (signatureEnd - signatureStart !== SIGNATURE_LENGTH) {
    throw new CodecError(`signature must be ${SIGNATURE_LENGTH} bytes, got ${signatureEnd - signatureStart}`);
  }
  const body = decodeTxBodyIn(bytes, bodyStart, bodyEnd);
  const digest = hash ?? txHash(bytes);
  const sender = senderOf(body.senderPubkey);
  const txId = hash !== undefined && id !== undefined ? id : toHex(digest);
  return new DecodedSignedTx(bytes, digest, txId, body, sender.address, sender.id, bodyStart, bodyEnd, signatureStart);
}

/**
 * decodeTx's DecodedTx. The body bytes and the signature are views made when asked for (to verify the
 * signature, once), not kept: a view is ~70 bytes of heap, and a pending tx waits long enough to be promoted
 * to the old generation with everything it holds (the promoted-allocation profile of a loaded validator
 * counted decodeTx's views among its largest sites).
 */
class DecodedSignedTx implements DecodedTx {
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  readonly id: string;
  readonly body: TxBody;
  readonly sender: Uint8Array;
  readonly senderId: string;
  private readonly bodyStart: number;
  private readonly bodyEnd: number;
  private readonly signatureStart: number;

  constructor(
    bytes: Uint8Array,
    hash: Uint8Array,
    id: string,
    body: TxBody,
    sender: Uint8Array,
    senderId: string,
    bodyStart: number,
    bodyEnd: number,
    signatureStart: number,
  ) {
    this.bytes = bytes;
    this.hash = hash;
    this.id = id;
    this.body = body;
    this.sender = sender;
    this.senderId = senderId;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.signatureStart = signatureStart;
  }

  get bodyBytes(): Uint8Array {
    return this.bytes.subarray(this.bodyStart, this.bodyEnd);
  }

  get signature(): Uint8Array {
    return this.bytes.subarray(this.signatureStart, this.signatureStart + SIGNATURE_LENGTH);
  }
}

const TX_DOMAIN = utf8("OPL/tx/v1");

/**
 * What a transaction signature covers: sha256(domain tag || 0x00 || chain id || 0x00 || canonical body).
 * The tag keeps a tx signature from ever being valid as a vote or proposal signature (and vice versa);
 * the chain id, also inside the body, is bound here too so a signature never transfers across chains.
 */
export function txSignBytes(chainId: string, bodyBytes: Uint8Array): Uint8Array {
  return sha256(txSignPrefix(chainId), bodyBytes);
}

/**
 * domain tag || 0x00 || chain id || 0x00, built once per chain id (it prefixes every tx's sign bytes). Shared:
 * never to be written.
 */
let prefixCache: { chainId: string; bytes: Uint8Array } | undefined;
export function txSignPrefix(chainId: string): Uint8Array {
  if (prefixCache?.chainId !== chainId) {
    const id = utf8(chainId);
    const bytes = new Uint8Array(TX_DOMAIN.byteLength + 2 + id.byteLength);
    bytes.set(TX_DOMAIN, 0);
    bytes.set(id, TX_DOMAIN.byteLength + 1);
    prefixCache = { chainId, bytes };
  }
  return prefixCache.bytes;
}
