import type { Command } from "commander";
import { action, DEFAULT_HOME, JSON_OPTION_HELP } from "../cli-util.ts";

export function registerShowNodeId(program: Command): void {
  program
    .command("show-node-id")
    .description(
      "Print this home's network identity without starting the node: { nodeId, listen, peerAddress }. Other " +
      "operators put peerAddress (with this machine's reachable IP in place of 0.0.0.0) in their " +
      "config.toml p2p.persistent_peers.",
    )
    .option("--home <dir>", "home directory (created by opl init)", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP} (the output is JSON either way)`)
    .action(
      action(async (opts: { home: string }) => {
        const { homePaths, readConfig } = await import("../../node/config.ts");
        const { loadNodeKey } = await import("../../node/node-key.ts");
        const paths = homePaths(opts.home);
        const { peerId } = loadNodeKey(paths.nodeKey);
        const listen = readConfig(paths.config).p2p.listen;
        console.log(JSON.stringify({ nodeId: peerId, listen, peerAddress: `${listen}/p2p/${peerId}` }, null, 2));
      }),
    );
}
