import { existsSync } from "node:fs";
import { flushCompileCache } from "node:module";
import type { Command } from "commander";
import { action, DEFAULT_CHAIN_ID, DEFAULT_HOME } from "../cli-util.ts";

interface StartOpts {
  home: string;
  rpcListen?: string;
  p2pListen?: string;
  logLevel?: string;
  logFormat?: string;
  logFile?: string;
  initIfMissing?: boolean;
  status?: boolean;
  unsafeRecoverSignerState?: boolean;
  unsafeSkipUpgrades?: string;
}

export function registerStart(program: Command): void {
  program
    .command("start")
    .description(
      "Run a node from a home directory: opens the chain in <home>/data, produces blocks as the validator, and " +
      "serves JSON-RPC. Stops cleanly on Ctrl-C / SIGTERM; safe to kill and restart at any moment.",
    )
    .option("--home <dir>", "home directory (created by opl init)", DEFAULT_HOME)
    .option("--rpc-listen <host:port>", "JSON-RPC listen address (overrides config.toml rpc.listen)")
    .option(
      "--p2p-listen <multiaddr>",
      "libp2p listen address (overrides config.toml p2p.listen), e.g. /ip4/127.0.0.1/tcp/26656",
    )
    .option(
      "--log-level <level>",
      "trace | debug | info | warn | error | fatal | silent (overrides config.toml)",
    )
    .option("--log-format <format>", "auto | json | pretty (overrides config.toml)")
    .option("--log-file <path>", "write JSON logs to this file instead of stderr")
    .option(
      "--init-if-missing",
      `run "opl init" first if the home has no config (chain id ${DEFAULT_CHAIN_ID})`,
    )
    .option("--status", "print the RPC URL and a live one-line status; logs go to <home>/node.log")
    .option(
      "--unsafe-recover-signer-state",
      "if data/priv_validator_state.json and its .shadow copy are missing (opl init writes it with the key: a key without one was " +
      "moved here, or its file was lost), rebuild it from data/cs.wal (the last message it was about to sign at " +
      "the height in progress) or else this validator's latest precommit in the block store (none in an empty " +
      "database) instead of refusing to start. RISK: with the WAL lost too, a vote signed after that precommit " +
      "(at the height then in progress) is not known; signing it again differently is a double-sign, which is " +
      "slashed. Restore the lost file instead whenever you can",
    )
    .option(
      "--unsafe-skip-upgrades <heights>",
      "skip the passed software upgrade planned at these heights (H[,H...]): at its height the plan is cleared and no " +
      "handler runs, instead of halting. A local decision, as Cosmos's flag: every validator must pass the same " +
      "heights, or the nodes that do not halt (or apply the upgrade) and the chain forks between them",
    )
    .addHelpText(
      "after",
      "\nUpgrades: when a passed upgrade NAME reaches its height H and this binary has no handler for it, the node " +
      "stops before block H (it neither proposes, votes nor commits it), logs \"upgrade NAME is scheduled at height H; " +
      "this binary does not have it\", writes data/upgrade-halt.json and exits with code 10. Started again with the " +
      "same binary it halts again at once; start the binary that has the handler (or pass --unsafe-skip-upgrades H)." +
      "\nOPL_TEST_UPGRADE_HANDLERS=NAME[,NAME...] (tests only) registers a test marker handler under those names: the " +
      "node then writes test markers at their heights instead of halting, a state no release computes. It logs a " +
      "warning at start-up and node_getStatus shows the upgrade's action as \"apply-test-marker\". Never set it on a " +
      "real network.",
    )
    .action(
      action(async (opts: StartOpts) => {
        // Before the node allocates anything: how far V8 lets the old space outgrow what is live (~75 MB less
        // peak RSS under load, node/heap-tuning.ts).
        const { applyNodeHeapTuning } = await import("../../node/heap-tuning.ts");
        const oldSpaceGrowthPercent = applyNodeHeapTuning();
        const { homePaths, readConfig } = await import("../../node/config.ts");
        const { initHome } = await import("../../node/init.ts");
        const { createLogger } = await import("../../node/logger.ts");
        const { OplNode } = await import("../../node/node.ts");
        const { showStatusLine } = await import("../../node/status-line.ts");
        const { parseSkipHeights, testUpgradeHandlerNames, UPGRADE_HALT_EXIT_CODE } = await import("../../node/upgrade-halt.ts");
        const { UpgradeHaltError } = await import("../../state/upgrades/halt.ts");
        const { testUpgradeHandlersWarning, upgradeBinary } = await import("../../state/upgrades/registry.ts");
        const upgrades = upgradeBinary({
          testHandlers: testUpgradeHandlerNames(process.env),
          skipHeights: opts.unsafeSkipUpgrades === undefined ? [] : parseSkipHeights(opts.unsafeSkipUpgrades),
        });
        const paths = homePaths(opts.home);
        if (!existsSync(paths.config) && opts.initIfMissing) {
          const { account } = await initHome({
            home: opts.home,
            chainId: DEFAULT_CHAIN_ID,
            moniker: "devnet",
          });
          console.log(`created a new devnet in ${opts.home}; funded key "validator": ${account}`);
        }
        const config = readConfig(paths.config);
        if (opts.rpcListen !== undefined) config.rpc.listen = opts.rpcListen;
        if (opts.p2pListen !== undefined) config.p2p.listen = opts.p2pListen;
        const logFile = opts.logFile ?? (opts.status ? paths.log : undefined);
        const logger = createLogger({
          level: opts.logLevel ?? config.log.level,
          format: (opts.logFormat ?? config.log.format) as "auto" | "json" | "pretty",
          file: logFile,
        });
        logger.info({ oldSpaceGrowthPercent: oldSpaceGrowthPercent ?? "as given to node" }, "V8 heap tuning");
        // The test switch changes what this node computes: never silently.
        const testWarning = testUpgradeHandlersWarning(upgrades);
        if (testWarning !== undefined) logger.warn({ names: [...(upgrades.testHandlers ?? [])] }, testWarning);
        const { runNode } = await import("../../node/run-node.ts");
        const exitCode = (err: unknown) => (err instanceof UpgradeHaltError ? UPGRADE_HALT_EXIT_CODE : 1);
        const node = await runNode({
          start: (onFatal, signal) =>
            OplNode.start({
              signal,
              home: opts.home,
              config,
              logger,
              onFatal: (err) => onFatal(err, exitCode(err)),
              recoverSignerState: opts.unsafeRecoverSignerState === true,
              upgrades,
            }),
          logger,
          exit: (code) => process.exit(code),
        }).catch((err: unknown) => {
          if (!(err instanceof UpgradeHaltError)) throw err;
          // Halted at start-up (the node logged why and closed everything it opened).
          console.error(err.message);
          logger.flush();
          process.exit(UPGRADE_HALT_EXIT_CODE);
        });
        // The node's code is all loaded: the compile cache (bin/opl.js) gets it now, not only at a clean exit
        // (a killed node never writes it). Synchronous: ~65 ms once after a code change (~1,300 entries, 7 MB),
        // ~1 ms when the cache already has them.
        flushCompileCache();
        if (opts.status) {
          console.log(`chain ${node.genesis.chainId} | JSON-RPC ${node.rpc.url} | logs ${logFile}`);
          console.log(`try: npx opl status --rpc ${node.rpc.url}`);
          showStatusLine(node.app, node.mempool);
        }
      }),
    );
}
