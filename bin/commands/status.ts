import type { Command } from "commander";
import { action, emit, JSON_OPTION_HELP, resolveRpcUrl } from "../cli-util.ts";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("Show a node's status (node_getStatus): chain, node id, latest block, catching up.")
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--json", JSON_OPTION_HELP)
    .action(
      action(async (opts: { rpc?: string; home?: string; json?: boolean }) => {
        const { typedClient } = await import("../../rpc/typed-client.ts");
        const { printFields } = await import("./query-util.ts");
        const status = await typedClient(resolveRpcUrl(opts)).node.getStatus();
        emit(opts.json, status, () => printFields(status));
      }),
    );
}
