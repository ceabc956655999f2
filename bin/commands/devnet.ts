import type { Command } from "commander";
import { action, DEFAULT_CHAIN_ID, parsePositiveInt } from "../cli-util.ts";

interface DevnetOpts {
  dir: string;
  validators?: string;
  chainId?: string;
  blockIntervalMs?: string;
  accounts?: string;
  verifyWorkers?: string;
}

const DEFAULT_VALIDATORS = 4;

export function registerDevnet(program: Command): void {
  program
    .command("devnet")
    .description(
      "Run a local network of N validators, each a real `opl start` process on 127.0.0.1. The first run " +
      "creates DIR/node0..node{N-1} (own keys, one shared genesis, every node a persistent peer of the others) " +
      "and funded keys in DIR/keyring (faucet, account0..); later runs restart the same chain. While it runs, " +
      "DIR/devnet.json lists each node's name, home, rpc URL, p2p address and pid, and each node's height is " +
      "shown live. Nodes log to DIR/nodeI/node.log. A node that exits (or that you kill by its pid) is " +
      "reported and the others keep running; bring it back with `opl start --home DIR/nodeI`. Ctrl-C stops " +
      "every node (SIGTERM, then SIGKILL after 10 s).",
    )
    .requiredOption("--dir <dir>", "devnet directory (created on the first run, reused after)")
    .option("--validators <n>", `number of validators of a new devnet (default ${DEFAULT_VALIDATORS}); an existing one keeps its own`)
    .option("--chain-id <id>", `chain id of a new devnet (default ${DEFAULT_CHAIN_ID})`)
    .option("--block-interval-ms <ms>", "consensus.block_interval_ms of every node (written to their config.toml)")
    .option("--accounts <n>", "funded keys account0.. of a new devnet, besides the faucet (default: one per validator)")
    .option(
      "--verify-workers <n>",
      "signature-verify threads of every node ([verify] workers, written to their config.toml); a new devnet " +
      "gives each node a share of this machine's cores, floor(cores / N) and at least 1, and a restart keeps " +
      "what the homes say: set it again when the devnet moves to another machine (0: one per core, up to 4)",
    )
    .addHelpText(
      "after",
      `
Examples:
  opl devnet --validators 4 --dir ./.devnet4      # create (first run) and start 4 validators
  opl devnet --dir ./.devnet4                     # start the same devnet again
  opl status --home ./.devnet4                    # node_getStatus of node0 (others: --rpc from devnet.json)
  opl tx transfer --home ./.devnet4 --from faucet --to opl1... --amount 10 --wait`,
    )
    .action(
      action(async (opts: DevnetOpts) => {
        const { resolve } = await import("node:path");
        const {
          createDevnetHomes,
          devnetExists,
          readDevnet,
          setDevnetBlockInterval,
          setDevnetVerifyWorkers,
          FAUCET_FUNDS,
          ACCOUNT_FUNDS,
        } = await import("../../node/devnet-homes.ts");
        const { DevnetRunner, devnetFilePath } = await import("../../node/devnet-runner.ts");
        const { formatOpen } = await import("../../state/units.ts");
        const dir = resolve(opts.dir);
        const validators = opts.validators === undefined ? undefined : parsePositiveInt(opts.validators, "--validators");
        const blockIntervalMs =
          opts.blockIntervalMs === undefined ? undefined : parsePositiveInt(opts.blockIntervalMs, "--block-interval-ms");

        if (!devnetExists(dir)) {
          const made = await createDevnetHomes({
            dir,
            validators: validators ?? DEFAULT_VALIDATORS,
            chainId: opts.chainId ?? DEFAULT_CHAIN_ID,
            blockIntervalMs,
            accounts: opts.accounts === undefined ? undefined : parsePositiveInt(opts.accounts, "--accounts"),
          });
          console.log(`created a ${made.nodes.length}-validator devnet in ${dir} (chain ${made.chainId})`);
          const accounts = made.keys.filter((k) => k.name !== "faucet");
          console.log(
            `funded keys in ${dir}/keyring: faucet (${formatOpen(FAUCET_FUNDS)} OPEN)` +
            (accounts.length > 0
              ? `, ${accounts.map((k) => k.name).join(", ")} (${formatOpen(ACCOUNT_FUNDS)} OPEN each)`
              : ""),
          );
        }
        const devnet = readDevnet(dir);
        if (validators !== undefined && validators !== devnet.nodes.length) {
          throw new Error(
            `${dir} holds a ${devnet.nodes.length}-validator devnet, not ${validators}; ` +
            "omit --validators to restart it, or use another --dir for a new one",
          );
        }
        if (opts.chainId !== undefined && opts.chainId !== devnet.chainId) {
          throw new Error(`${dir} holds chain ${devnet.chainId}, not ${opts.chainId}`);
        }
        if (blockIntervalMs !== undefined) setDevnetBlockInterval(devnet, blockIntervalMs);
        if (opts.verifyWorkers !== undefined) {
          const workers = parsePositiveInt(opts.verifyWorkers, "--verify-workers");
          const { MAX_CONFIGURED_VERIFY_WORKERS } = await import("../../crypto/verify-pool.ts");
          if (workers > MAX_CONFIGURED_VERIFY_WORKERS) {
            throw new Error(`--verify-workers must be at most ${MAX_CONFIGURED_VERIFY_WORKERS}, got ${workers}`);
          }
          setDevnetVerifyWorkers(devnet, workers);
        }

        const runner = new DevnetRunner({ devnet, nodeBinary: process.execPath, oplScript: resolve(import.meta.dirname, "..", "opl.js") });
        let signals = 0;
        const onSignal = (signal: string) => {
          signals++;
          if (signals > 1) {
            runner.print(`${signal} again: killing the nodes (SIGKILL)`);
            runner.killAll();
            return;
          }
          void runner.stop().then(() => process.exit(0));
        };
        process.on("SIGINT", () => onSignal("SIGINT"));
        process.on("SIGTERM", () => onSignal("SIGTERM"));
        process.on("SIGHUP", () => onSignal("SIGHUP")); // the terminal went away: do not leave the nodes behind

        let file;
        try {
          file = await runner.start();
        } catch (err) {
          if (runner.isStopping) return; // Ctrl-C while starting: the signal handler finishes the exit
          throw err;
        }
        runner.print(`devnet running: ${devnetFilePath(dir)} lists the nodes (rpc, p2p, pid)`);
        runner.print(`try: opl status --rpc ${file.nodes[0].rpc}`);
        runner.print(`     opl tx transfer --home ${dir} --from faucet --to ADDRESS --amount 10 --wait  (node0 via devnet.json)`);
        runner.print("Ctrl-C stops every node.");
        runner.showHeights();
      }),
    );
}
