import { ADDRESS_LENGTH, encodeAddress } from "../../../crypto/address.ts";
import type { TxMsg } from "../../../proto/tx.ts";
import { TxError } from "../../errors.ts";
import type { Genesis } from "../../genesis.ts";
import type { NativeModule } from "../../module.ts";
import type { Overlay } from "../../view.ts";
import { type AccountRef, getAccount, getSupply, mint, transfer } from "./bank.ts";

/** The bank as a native module: transfers, and the genesis balances. */
export const bankModule = {
  name: "bank",
  msgTypes: ["transfer"],
  check(msg: TxMsg): void {
    if (msg.type === "transfer" && msg.amount <= 0n) throw new TxError("INVALID_MSG", "transfer amount must be positive");
  },
  spend(msg: TxMsg): bigint {
    return msg.type === "transfer" ? msg.amount : 0n;
  },
  apply(view: Overlay, sender: Uint8Array, msg: TxMsg, _ctx: unknown, senderRef: AccountRef) {
    if (msg.type !== "transfer") throw new TxError("INVALID_MSG", `the bank module does not handle ${msg.type}`);
    transfer(view, sender, msg.to, msg.amount, senderRef);
    return [
      {
        type: "transfer",
        attributes: [
          { key: "sender", value: encodeAddress(sender) },
          { key: "recipient", value: encodeAddress(msg.to) },
          { key: "amount", value: msg.amount.toString() },
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
