import type { KeyObject } from "node:crypto";
import { addressFromPublicKey, encodeAddress } from "../../crypto/address.ts";
import { generateSecretKey, privateKeyObject, publicKeyOf, signFast } from "../../crypto/ed25519.ts";
import type { TxBody } from "../../proto/tx.ts";
import { type BuiltTx, signTx } from "../../rpc/tx-builder.ts";

/** A test account that signs with OpenSSL (fast, for load) and tracks its next nonce. */
export class TestAccount {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;
  readonly bech32: string;
  nonce = 0;
  private readonly key: KeyObject;

  constructor(secretKey: Uint8Array = generateSecretKey()) {
    this.secretKey = secretKey;
    this.publicKey = publicKeyOf(secretKey);
    this.address = addressFromPublicKey(this.publicKey);
    this.bech32 = encodeAddress(this.address);
    this.key = privateKeyObject(secretKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return signFast(message, this.key);
  }

  /** Signs a transfer with the next nonce (and advances it). Overrides let tests build bad transactions. */
  transfer(
    chainId: string,
    to: Uint8Array,
    amount: bigint,
    fee: bigint,
    overrides: Partial<TxBody> = {},
  ): BuiltTx {
    const body: TxBody = {
      chainId,
      senderPubkey: this.publicKey,
      nonce: this.nonce,
      fee,
      msg: { type: "transfer", to, amount },
      ...overrides,
    };
    if (overrides.nonce === undefined) this.nonce++;
    return signTx(body, (m) => this.sign(m));
  }
}
