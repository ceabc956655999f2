import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { open, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";

/** Registers `opl query` with `account`; the module commands add their groups to the command returned. */
export function registerQuery(program: Command): Command {
  const query = program.command("query").description("Read chain state through a node's JSON-RPC.");

  withQueryOptions(query.command("account <address>").description("Balance (OPEN and base units) and next nonce of an address."))
    .action(
      action(async (address: string, opts: QueryOpts) => {
        const { decodeAddress } = await import("../../crypto/address.ts");
        decodeAddress(address);
        await runQuery(opts, "account_get", { address }, (a) => {
          console.log(`address: ${a.address}`);
          console.log(`balance: ${open(a.balance)} (${a.balance} base units)`);
          console.log(`nonce:   ${a.nonce}`);
          console.log(`height:  ${a.height}`);
        }, { key: { account: address } });
      }),
    );
  return query;
}
