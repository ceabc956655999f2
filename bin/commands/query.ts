import type { Command } from "commander";
import { action, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";

interface AccountReply {
  address: string;
  balance: string;
  nonce: number;
  height: number;
}

/** Registers `opl query` with `account`; the module commands add their groups to the command returned. */
export function registerQuery(program: Command): Command {
  const query = program.command("query").description("Read chain state through a node's JSON-RPC.");

  query
    .command("account <address>")
    .description("Balance (OPEN and base units) and next nonce of an address.")
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--height <n>", "read at a past height")
    .option("--json", "print the JSON-RPC result")
    .action(
      action(
        async (address: string, opts: { rpc?: string; home?: string; height?: string; json?: boolean }) => {
          const { decodeAddress } = await import("../../crypto/address.ts");
          const { RpcClient } = await import("../../rpc/client.ts");
          const { formatOpen } = await import("../../state/units.ts");
          decodeAddress(address);
          const client = new RpcClient(resolveRpcUrl(opts));
          const params: Record<string, unknown> = { address };
          if (opts.height !== undefined) params.height = parsePositiveInt(opts.height, "--height");
          const a = await client.call<AccountReply>("account_get", params);
          if (opts.json) {
            console.log(JSON.stringify(a, null, 2));
            return;
          }
          console.log(`address: ${a.address}`);
          console.log(`balance: ${formatOpen(BigInt(a.balance))} OPEN (${a.balance} base units)`);
          console.log(`nonce:   ${a.nonce}`);
          console.log(`height:  ${a.height}`);
        },
      ),
    );
  return query;
}
