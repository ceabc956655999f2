import type { Command } from "commander";
import { action, resolveRpcUrl } from "../cli-util.ts";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("Show a node's status (node_status): chain, node id, latest block, catching up.")
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .action(
      action(async (opts: { rpc?: string; home?: string }) => {
        const { RpcClient } = await import("../../rpc/client.ts");
        const status = await new RpcClient(resolveRpcUrl(opts)).call("node_status");
        console.log(JSON.stringify(status, null, 2));
      }),
    );
}
