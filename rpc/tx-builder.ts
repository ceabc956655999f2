import { decodeAddress } from "../crypto/address.ts";
import { signPortable } from "../crypto/ed25519.ts";
import { encodeSignedTx, encodeTxBody, type TxBody, txHash, type TxMsg, txSignBytes } from "../proto/tx.ts";

/** Client-side transaction building: encode the body canonically, sign it, wrap it. Portable (no node:crypto
 * needed for signing), so the same code serves the CLI and, later, browser clients. */

export interface BuiltTx {
  bytes: Uint8Array;
  hash: Uint8Array;
}

export type SignFn = (message: Uint8Array) => Uint8Array;

export function signTx(body: TxBody, sign: SignFn): BuiltTx {
  const bodyBytes = encodeTxBody(body);
  const signature = sign(txSignBytes(body.chainId, bodyBytes));
  const bytes = encodeSignedTx({ body: bodyBytes, signature });
  return { bytes, hash: txHash(bytes) };
}

/** What every transaction needs besides its message. */
export interface TxEnvelope {
  chainId: string;
  publicKey: Uint8Array;
  nonce: number;
  fee: bigint;
}

/** Signs a transaction carrying any message (a transfer or any module message). */
export function buildTx(p: TxEnvelope & { msg: TxMsg }, sign: SignFn): BuiltTx {
  return signTx({ chainId: p.chainId, senderPubkey: p.publicKey, nonce: p.nonce, fee: p.fee, msg: p.msg }, sign);
}

export interface TransferParams extends TxEnvelope {
  to: string;
  amount: bigint;
}

export function buildTransfer(p: TransferParams, sign: SignFn): BuiltTx {
  return buildTx({ ...p, msg: { type: "transfer", to: decodeAddress(p.to), amount: p.amount } }, sign);
}

export function portableSigner(secretKey: Uint8Array): SignFn {
  return (message) => signPortable(message, secretKey);
}
