import { encodeAddress } from "../../../crypto/address.ts";
import type { MultiSendMsg } from "../../../proto/bank-msgs.ts";
import type { TxEvent } from "../../../proto/records.ts";
import { TxError } from "../../errors.ts";
import { keyId, type Overlay } from "../../view.ts";
import { type AccountRef, accountRef, readAccount, writeAccount } from "./bank.ts";

/**
 * multi_send: one signer pays many recipients in one transaction, all or nothing.
 *
 * The bound: enough to fund 100 accounts at once, small enough that a maximal multi-send is about 1% of a
 * block's work (state/work.ts charges each recipient a new account leaf) and ~3.6 KB, far under maxTxBytes.
 * The CLI (bin/commands/tx-multi-send.ts) refuses more before signing, with this same constant.
 */
export const MAX_MULTI_SEND_OUTPUTS = 100;

/**
 * Stateless: 1..MAX outputs, every amount positive, every recipient once. A duplicate is refused rather than
 * summed: in a script it is almost always a mistake (a line pasted twice), and one credit per recipient keeps
 * one transfer event per recipient.
 */
export function checkMultiSend(msg: MultiSendMsg): void {
  const n = msg.outputs.length;
  if (n === 0) throw new TxError("INVALID_MSG", "multi-send needs at least one recipient");
  if (n > MAX_MULTI_SEND_OUTPUTS) {
    throw new TxError("INVALID_MSG", `multi-send has ${n} recipients; the limit is ${MAX_MULTI_SEND_OUTPUTS}`);
  }
  const seen = new Set<string>();
  for (const [i, o] of msg.outputs.entries()) {
    if (o.amount <= 0n) {
      throw new TxError("INVALID_MSG", `multi-send recipient ${i + 1} (${encodeAddress(o.to)}): amount must be positive`);
    }
    const id = keyId(o.to);
    if (seen.has(id)) {
      throw new TxError("INVALID_MSG", `multi-send recipient ${encodeAddress(o.to)} appears twice (list each once)`);
    }
    seen.add(id);
  }
}

/** The sum of the outputs: what the sender's balance must cover besides the fee. */
export function multiSendTotal(msg: MultiSendMsg): bigint {
  let total = 0n;
  for (const o of msg.outputs) total += o.amount;
  return total;
}

/**
 * Debits the total once, then credits each recipient. Throws INSUFFICIENT_FUNDS before any write when the
 * balance cannot cover the total (the executor also rolls back a failed message's writes).
 */
export function applyMultiSend(
  view: Overlay,
  sender: Uint8Array,
  msg: MultiSendMsg,
  senderRef: AccountRef,
): TxEvent[] {
  const total = multiSendTotal(msg);
  const account = readAccount(view, senderRef);
  if (account.balance < total) {
    throw new TxError(
      "INSUFFICIENT_FUNDS",
      `insufficient funds: ${encodeAddress(sender)} has ${account.balance}, needs ${total} for ${msg.outputs.length} recipients`,
    );
  }
  writeAccount(view, senderRef, { nonce: account.nonce, balance: account.balance - total });
  const from = encodeAddress(sender);
  return msg.outputs.map((o) => {
    const ref = accountRef(o.to);
    const recipient = readAccount(view, ref); // after the debit: the sender may be a recipient too
    writeAccount(view, ref, { nonce: recipient.nonce, balance: recipient.balance + o.amount });
    return {
      type: "transfer",
      attributes: [
        { key: "sender", value: from },
        { key: "recipient", value: encodeAddress(o.to) },
        { key: "amount", value: o.amount.toString() },
      ],
    };
  });
}
