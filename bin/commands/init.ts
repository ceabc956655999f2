import type { Command } from "commander";
import { DEFAULT_P2P_LISTEN, DEFAULT_RPC_LISTEN } from "../../node/defaults.ts";
import { action, DEFAULT_CHAIN_ID, DEFAULT_HOME, JSON_OPTION_HELP } from "../cli-util.ts";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description(
      "Create a home directory for a single-validator devnet: config.toml, genesis.json, node and validator keys, " +
      "and a keyring whose `validator` account is funded in genesis.",
    )
    .option("--home <dir>", "home directory to create", DEFAULT_HOME)
    .option("--chain-id <id>", "chain id", DEFAULT_CHAIN_ID)
    .option("--moniker <name>", "a name for this node", "node0")
    .option("--rpc-listen <host:port>", "JSON-RPC listen address", DEFAULT_RPC_LISTEN)
    .option("--p2p-listen <multiaddr>", "libp2p listen address", DEFAULT_P2P_LISTEN)
    .option(
      "--genesis-accounts <n>",
      "also fund this many generated accounts (1 OPEN each) in a streamed accounts file (opl genesis add-accounts)",
    )
    .option("--json", `${JSON_OPTION_HELP}: { home, chainId, validator, balance, generatedAccounts }`)
    .action(
      action(
        async (opts: {
          home: string;
          chainId: string;
          moniker: string;
          rpcListen: string;
          p2pListen: string;
          genesisAccounts?: string;
          json?: boolean;
        }) => {
          // With --json the readable lines are not printed: one JSON object says what was made.
          const say = opts.json ? () => {} : (line: string) => console.log(line);
          let generatedAccounts: { count: number; path: string } | null = null;
          const { initHome } = await import("../../node/init.ts");
          const { formatOpen } = await import("../../state/units.ts");
          const { genesis, account } = await initHome({
            home: opts.home,
            chainId: opts.chainId,
            moniker: opts.moniker,
            rpcListen: opts.rpcListen,
            p2pListen: opts.p2pListen,
          });
          say(`initialised ${opts.home} for chain ${genesis.chainId}`);
          say(`funded account "validator": ${account} (${formatOpen(genesis.accounts[0].balance)} OPEN)`);
          if (opts.genesisAccounts !== undefined) {
            const { addAccountsFile } = await import("../../node/genesis-accounts.ts");
            const { ONE_OPEN } = await import("../../state/units.ts");
            const ref = await addAccountsFile(opts.home, {
              generate: { count: Number(opts.genesisAccounts), balance: ONE_OPEN, seed: "opl-genesis-accounts" },
              progress: (done, total) => process.stderr.write(`accounts: ${done} of ${total}\n`),
            });
            generatedAccounts = { count: ref.count, path: ref.path };
            say(`funded ${ref.count} generated accounts in ${ref.path}`);
          }
          say(`start it with: opl start --home ${opts.home}`);
          if (opts.json) {
            const balance = genesis.accounts[0].balance.toString();
            const { chainId } = genesis;
            const made = { home: opts.home, chainId, validator: account, balance, generatedAccounts };
            console.log(JSON.stringify(made, null, 2));
          }
        },
      ),
    );
}
