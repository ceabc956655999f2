import type { TypedClient } from "../../rpc/typed-client.ts";
import { CliError } from "../cli-util.ts";
import { describeEvents } from "./tx-send.ts";

/**
 * `--dry-run` on any `opl tx ...` command: the signed tx goes to tx_simulate instead of tx_submit, and what
 * it would do is printed (human: in OPEN; --json: the method's result as it is). A tx that would fail exits
 * with EXIT.TX_FAILED (bin/cli-util.ts), as a failing --wait does.
 */
export async function dryRun(
  client: TypedClient,
  tx: string,
  fee: bigint,
  json: boolean | undefined,
): Promise<void> {
  const { describeAmount } = await import("../../state/units.ts");
  const result = await client.tx.simulate({ tx });
  if (json) console.log(JSON.stringify(result, null, 2));
  else if (result.code === 0) {
    console.log(`dry run: would succeed (code 0, OK) at height ${result.height}, fee ${describeAmount(fee)}` +
      `${describeEvents(result.events)}\nnothing was submitted`);
  }
  if (result.code === 0) return;
  const what = result.includable ? "would fail" : "could not be included";
  const line = `dry run: ${what} with ${result.reason} (code ${result.code}): ${result.log}`;
  if (!json) console.log(line);
  throw new CliError("TX_FAILED", line, { reported: true });
}
