import type { Command } from "commander";
import { DEFAULT_CHAIN_ID, initHome } from "../../node/init.ts";
import { formatOpen } from "../../state/units.ts";
import { action } from "../cli-util.ts";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description(
      "Create a home directory for a single-validator devnet: config.toml, genesis.json, node and validator keys, " +
        "and a keyring whose `validator` account is funded in genesis.",
    )
    .requiredOption("--home <dir>", "home directory to create")
    .option("--chain-id <id>", "chain id", DEFAULT_CHAIN_ID)
    .option("--moniker <name>", "a name for this node", "node0")
    .option("--rpc-listen <host:port>", "JSON-RPC listen address", "127.0.0.1:26657")
    .option("--p2p-listen <multiaddr>", "libp2p listen address", "/ip4/127.0.0.1/tcp/26656")
    .action(
      action(
        async (opts: {
          home: string;
          chainId: string;
          moniker: string;
          rpcListen: string;
          p2pListen: string;
        }) => {
          const { genesis, account } = await initHome({
            home: opts.home,
            chainId: opts.chainId,
            moniker: opts.moniker,
            rpcListen: opts.rpcListen,
            p2pListen: opts.p2pListen,
          });
          console.log(`initialised ${opts.home} for chain ${genesis.chainId}`);
          console.log(
            `funded account "validator": ${account} (${formatOpen(genesis.accounts[0].balance)} OPEN)`,
          );
          console.log(`start it with: opl start --home ${opts.home}`);
        },
      ),
    );
}
