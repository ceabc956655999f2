import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { collect, sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

interface MultiSendOpts extends TxOpts {
  to?: string[];
  file?: string;
}

/** "ADDRESS=AMOUNT" (--to) or "ADDRESS,AMOUNT" (a line of --file): the address and the OPEN text. */
function splitOutput(text: string, separator: string, where: string): [string, string] {
  const at = text.indexOf(separator);
  if (at < 0) throw new Error(`${where} must be ADDRESS${separator}AMOUNT (amount in OPEN), got "${text}"`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

/**
 * The recipients of --to and --file, in that order. A file holds one "ADDRESS,AMOUNT" a line; blank lines and
 * lines starting with # are skipped.
 */
async function readOutputs(opts: MultiSendOpts): Promise<{ where: string; address: string; amount: string }[]> {
  const outputs = (opts.to ?? []).map((t) => {
    const [address, amount] = splitOutput(t, "=", "--to");
    return { where: "--to", address, amount };
  });
  if (opts.file !== undefined) {
    const { readFileSync } = await import("node:fs");
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (err) {
      throw new Error(`cannot read --file ${opts.file}: ${(err as Error).message}`, { cause: err });
    }
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const where = `${opts.file} line ${i + 1}`;
      const [address, amount] = splitOutput(line, ",", where);
      outputs.push({ where, address, amount });
    }
  }
  if (outputs.length === 0) throw new Error("give the recipients with --to ADDRESS=AMOUNT (repeated) or --file FILE");
  return outputs;
}

function amountAt(parse: (text: string) => bigint, text: string, where: string): bigint {
  try {
    return parse(text);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

/** Registers `opl tx multi-send`: one signer, many recipients, one transaction. */
export function registerMultiSend(tx: Command): void {
  const cmd = tx
    .command("multi-send")
    .description(
      "Send OPEN from a keyring key to many addresses in one transaction (all or nothing; at most 100 " +
      "recipients, each once). Recipients as --to ADDRESS=AMOUNT (repeat it) and/or --file with one " +
      "ADDRESS,AMOUNT a line (# comments). Amounts in OPEN.",
    )
    .option("--to <address=OPEN>", "a recipient and its amount, e.g. opl1...=2.5 (repeat for each)", collect)
    .option("--file <csv>", "a file of ADDRESS,AMOUNT lines")
    .action(
      action(async (opts: MultiSendOpts) => {
        const { formatOpen } = await import("../../state/units.ts");
        const { checkMultiSend, multiSendTotal } = await import("../../state/modules/bank/multi-send.ts");
        let summary = "";
        await sendTx(
          opts,
          async ({ args }) => {
            const outputs = (await readOutputs(opts)).map((o) => ({
              to: args.parseAddress(o.address, o.where),
              amount: amountAt(args.parseOpen, o.amount, o.where),
            }));
            const msg = { type: "multi_send" as const, outputs };
            // The node's own check (recipient limit, positive amounts, each recipient once), before signing.
            checkMultiSend(msg);
            summary = `: sent ${formatOpen(multiSendTotal(msg))} OPEN to ${outputs.length} recipients`;
            return msg;
          },
          () => summary,
        );
      }),
    );
  withTxOptions(cmd);
}
