import { ADDRESS_LENGTH } from "../../../crypto/address.ts";
import type { TxMsg } from "../../../proto/tx.ts";
import { TxError } from "../../errors.ts";
import type { Genesis } from "../../genesis.ts";
import type { NativeModule } from "../../module.ts";
import type { Overlay } from "../../view.ts";
import { AmountText } from "../../amount-text.ts";
import { type AccountRef, accountRef, addressText, getAccount, getSupply, mint, transfer } from "./bank.ts";
import { applyMultiSend, checkMultiSend, multiSendTotal } from "./multi-send.ts";

/** Transfer events' amount texts (consecutive transfers often move the same amount). */
const transferTexts = new AmountText();

/** The bank as a native module: transfers, multi-sends, and the genesis balances. */
export const bankModule = {
  name: "bank",
  msgTypes: ["transfer", "multi_send"],
  check(msg: TxMsg): void {
    if (msg.type === "transfer" && msg.amount <= 0n) throw new TxError("INVALID_MSG", "transfer amount must be positive");
    if (msg.type === "multi_send") checkMultiSend(msg);
  },
  spend(msg: TxMsg): bigint {
    if (msg.type === "multi_send") return multiSendTotal(msg);
    return msg.type === "transfer" ? msg.amount : 0n;
  },
  apply(view: Overlay, sender: Uint8Array, msg: TxMsg, _ctx: unknown, senderRef: AccountRef) {
    if (msg.type === "multi_send") return applyMultiSend(view, sender, msg, senderRef);
    if (msg.type !== "transfer") throw new TxError("INVALID_MSG", `the bank module does not handle ${msg.type}`);
    const toRef = accountRef(msg.to);
    transfer(view, sender, msg.to, msg.amount, senderRef, toRef);
    return [
      {
        type: "transfer",
        attributes: [
          { key: "sender", value: addressText(senderRef) },
          { key: "recipient", value: addressText(toRef) },
          { key: "amount", value: transferTexts.of(msg.amount) },
        ],
      },
    ];
  },
  /** Mints every genesis account (so the supply is their sum). Streamed accounts are written apart. */
  initGenesis(view: Overlay, genesis: Genesis): void {
    for (const account of genesis.accounts) {
      if (account.address.byteLength !== ADDRESS_LENGTH) throw new Error("genesis account address must be 20 bytes");
      mint(view, account.address, account.balance);
    }
  },
  queries: { getAccount, getSupply },
} satisfies NativeModule;
