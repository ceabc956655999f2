/**
 * The `opl` command line: its commands, their options and help. Started by bin/opl.js (the launcher, which sets
 * the Node.js flags and the compile cache first); each command loads what it runs when it runs.
 */
import { Command, CommanderError } from "commander";
import { checkHomeExists, CliError, EXIT, EXIT_CODES_HELP, JSON_OPTION_HELP, jsonOutput, reportError } from "./cli-util.ts";
import { registerDevnet } from "./commands/devnet.ts";
import { registerGenesis } from "./commands/genesis.ts";
import { registerInit } from "./commands/init.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerQuery } from "./commands/query.ts";
import { registerAttributionQuery } from "./commands/query-attribution.ts";
import { registerBlockQuery } from "./commands/query-block.ts";
import { registerChainQuery } from "./commands/query-chain.ts";
import { registerDatanetQuery } from "./commands/query-datanet.ts";
import { registerModelQuery } from "./commands/query-model.ts";
import { registerGovQuery } from "./commands/query-gov.ts";
import { registerStakingQuery } from "./commands/query-staking.ts";
import { registerTxQuery } from "./commands/query-tx.ts";
import { registerShowNodeId } from "./commands/show-node-id.ts";
import { registerStart } from "./commands/start.ts";
import { registerStatus } from "./commands/status.ts";
import { registerTx } from "./commands/tx.ts";
import { registerWatch } from "./commands/watch.ts";
import { registerAttributionTx } from "./commands/tx-attribution.ts";
import { registerDatanetTx } from "./commands/tx-datanet.ts";
import { registerModelTx } from "./commands/tx-model.ts";
import { registerGovTx } from "./commands/tx-gov.ts";
import { registerStakingTx } from "./commands/tx-staking.ts";

const VERSION = "0.1.0";

/**
 * `opl ... | head -1`: the reader left the pipe, and the rest of the output has nowhere to go. Node ignores
 * SIGPIPE, so the next write fails with EPIPE, an unhandled 'error' that ended opl with a stack trace. It is
 * not the command's error: opl stops quietly, with the status a shell gives a command SIGPIPE ended, as
 * `git log | head` does (EXIT.CLOSED_PIPE).
 */
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(EXIT.CLOSED_PIPE);
});

const program = new Command("opl")
  .description("OPEN chain node and command-line client.")
  .version(VERSION, "-v, --version")
  .showHelpAfterError("(add --help for usage)")
  .addHelpText("after", `\n${EXIT_CODES_HELP}`)
  // Usage errors (unknown command or option, missing argument) exit EXIT.USAGE; with --json they are one
  // JSON object on stderr like every other error. Set before the commands are added: they inherit both.
  .exitOverride()
  .configureOutput({
    outputError: (text, write) => {
      if (!jsonOutput()) write(text);
      else write(`${JSON.stringify({ error: { code: "USAGE", message: text.replace(/^error: /, "").trim() } })}\n`);
    },
  });
if (jsonOutput()) program.showHelpAfterError(false);
// Every command that reads a home refuses one that does not exist (cli-util.ts checkHomeExists).
program.hook("preAction", (_program, command) => {
  const path = command.parent === null || command.parent === program ? command.name() : `${command.parent.name()} ${command.name()}`;
  checkHomeExists(path, command.opts());
});

registerInit(program);
registerStart(program);
registerDevnet(program);
registerGenesis(program);
registerShowNodeId(program);
registerKeys(program);
const tx = registerTx(program);
registerStakingTx(tx);
registerDatanetTx(tx);
registerModelTx(tx);
registerAttributionTx(tx);
registerGovTx(tx);
const query = registerQuery(program);
registerStakingQuery(query);
registerDatanetQuery(query);
registerModelQuery(query);
registerAttributionQuery(query);
registerGovQuery(query);
registerChainQuery(query);
registerTxQuery(query);
registerBlockQuery(query);
registerStatus(program);
registerWatch(program);
program
  .command("version")
  .description("Print the opl version, and the Node.js running it.")
  .option("--json", `${JSON_OPTION_HELP}: { opl, node }`)
  .action((opts: { json?: boolean }) => {
    if (opts.json) console.log(JSON.stringify({ opl: VERSION, node: process.version }));
    else console.log(`opl ${VERSION} (node ${process.version})`);
  });

try {
  await program.parseAsync();
} catch (err) {
  // exitOverride: commander throws where it would have exited (help and --version too, with exit code 0).
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  else if (err instanceof CliError) reportError(err); // a preAction check (checkHomeExists), as an action's error
  else throw err;
}
