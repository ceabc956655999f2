import type { Command } from "commander";
import { action, emit, JSON_OPTION_HELP, resolveRpcUrl } from "../cli-util.ts";

interface UpgradeView {
  name: string;
  height: number;
  status: string;
  action?: string;
  message?: string;
}

/** One line for node_getStatus's pending upgrade. */
function upgradeLine(u: UpgradeView): string {
  if (u.status === "halted") return `HALTED: ${u.message ?? `upgrade ${u.name} at height ${u.height}`}`;
  const what = { apply: "this binary applies it", skip: "skipped here (--unsafe-skip-upgrades)", halt: "this binary halts before it" };
  return `${u.name} at height ${u.height} (${what[u.action as keyof typeof what] ?? u.action})`;
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description(
      "Show a node's status (node_getStatus): chain, node id, latest block, catching up, pending upgrade. With --home, " +
      "a node that stopped for an upgrade is reported from its data/upgrade-halt.json (exit code 3: no node answered).",
    )
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--json", JSON_OPTION_HELP)
    .action(
      action(async (opts: { rpc?: string; home?: string; json?: boolean }) => {
        const { NodeUnreachableError } = await import("../../rpc/client.ts");
        const { typedClient } = await import("../../rpc/typed-client.ts");
        const { printFields } = await import("./query-util.ts");
        let status: Record<string, unknown>;
        try {
          // Through the typed client: a node from before the renames is asked node_status instead.
          status = await typedClient(resolveRpcUrl(opts)).node.getStatus();
        } catch (err) {
          if (!(err instanceof NodeUnreachableError) || opts.home === undefined) throw err;
          const { readUpgradeHalt } = await import("../../node/upgrade-halt.ts");
          const halt = readUpgradeHalt(opts.home);
          if (halt === undefined) throw err;
          // The node is not running, and the reason it stopped is on disk.
          emit(opts.json, { running: false, upgrade: halt }, () => console.log(`stopped: ${halt.message}`));
          process.exitCode = 3;
          return;
        }
        emit(opts.json, status, () => {
          const { upgrade, ...rest } = status;
          const line = upgrade === null || upgrade === undefined ? null : upgradeLine(upgrade as UpgradeView);
          printFields({ ...rest, upgrade: line });
        });
      }),
    );
}
