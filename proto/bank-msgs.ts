import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { decodeAmount, encodeAmount, type Fields, fixedBytes } from "./codec.ts";

/**
 * The bank's messages beyond the transfer (which proto/tx.ts reads by hand, being the commonest): typed form
 * and conversion to and from the protobufjs fields of proto/opl.proto. Shapes only; the limits (how many
 * recipients, positive amounts, each recipient once) are the bank's stateless check
 * (state/modules/bank/multi-send.ts).
 */

export interface MultiSendOutput {
  to: Uint8Array;
  amount: bigint;
}

/** One signer pays many recipients in one transaction (e.g. funding 100 accounts). */
export interface MultiSendMsg {
  type: "multi_send";
  outputs: MultiSendOutput[];
}

export type BankMsg = MultiSendMsg;

/** The oneof cases of TxBody.msg for the bank (merged into MODULE_MSG_CODECS). */
export const BANK_MSG_CODECS = {
  multi_send: {
    field: "multiSend",
    toFields: (m: BankMsg): Fields => ({
      outputs: m.outputs.map((o) => ({ to: o.to, amount: encodeAmount(o.amount) })),
    }),
    fromFields: (f: Fields): BankMsg => ({
      type: "multi_send",
      outputs: ((f.outputs as Fields[] | undefined) ?? []).map((o, i) => ({
        to: fixedBytes(o.to, ADDRESS_LENGTH, `outputs[${i}] recipient`),
        amount: decodeAmount(o.amount, `outputs[${i}] amount`),
      })),
    }),
  },
};
