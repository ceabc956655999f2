import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { registerTxBroadcast } from "./tx-broadcast.ts";
import { registerMultiSend } from "./tx-multi-send.ts";
import { sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

interface TransferOpts extends TxOpts {
  to: string;
  amount: string;
}

/** Registers `opl tx` with `transfer`; the module commands add their groups to the command returned. */
export function registerTx(program: Command): Command {
  const tx = program
    .command("tx")
    .description(
      "Build, sign and submit transactions. Every one signs with a keyring key (--home, --from), pays --fee " +
      "(OPEN), and with --wait reports the block it landed in and what it did.",
    );

  tx
    .command("transfer")
    .description(
      "Send OPEN from a keyring key to an address. Amounts are OPEN as exact decimals (2.5 = 2.5 OPEN = " +
      "2500000000000000000 base units). Prints the transaction hash.",
    )
    .requiredOption("--to <address>", "recipient address (opl1...)")
    .requiredOption("--amount <OPEN>", "amount in OPEN, e.g. 2.5")
    .action(
      action(async (opts: TransferOpts) => {
        const { describeAmount } = await import("../../state/units.ts");
        let amount = 0n;
        await sendTx(
          opts,
          ({ args }) => {
            const to = args.parseAddress(opts.to, "--to");
            amount = args.parseOpen(opts.amount);
            return { type: "transfer", to, amount };
          },
          () => `: sent ${describeAmount(amount)}`,
        );
      }),
    );
  // The shared options go last, so --help lists what is particular to the command first.
  withTxOptions(tx.commands.find((c) => c.name() === "transfer") as Command);
  registerMultiSend(tx);
  registerTxBroadcast(tx);
  return tx;
}
