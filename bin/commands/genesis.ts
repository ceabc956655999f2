import type { Command } from "commander";
import { action, DEFAULT_HOME, emit, JSON_OPTION_HELP } from "../cli-util.ts";

interface Json {
  json?: boolean;
}

interface AddValidatorOpts {
  home: string;
  file?: string;
  name?: string;
  pubKey?: string;
  selfStake?: string;
  operator?: string;
  json?: boolean;
}

export function registerGenesis(program: Command): void {
  const genesis = program
    .command("genesis")
    .description(
      "Build the genesis.json of a network of validators: each operator prints `show-validator` from their own " +
      "home; a coordinator adds every validator (and funded accounts) to one genesis.json and hands that file " +
      "to all operators. README.md, \"Running a network of validators\", walks through it.",
    );

  genesis
    .command("show-validator")
    .description("Print this home's validator as JSON for the coordinator: { name, address, pubKey, selfStake, operator }.")
    .option("--home <dir>", "home directory (created by opl init)", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP} (the output is JSON either way)`)
    .action(
      action(async (opts: { home: string }) => {
        const { showValidator } = await import("../../node/genesis-edit.ts");
        console.log(JSON.stringify(showValidator(opts.home), null, 2));
      }),
    );

  genesis
    .command("add-validator")
    .description(
      "Add a validator to <home>/genesis.json, from a `show-validator` file and/or flags (flags win). The key " +
      "must be a valid ed25519 public key; a key or name already in genesis is refused.",
    )
    .option("--home <dir>", "home directory whose genesis.json is edited (never started)", DEFAULT_HOME)
    .option("--file <path>", "JSON printed by `opl genesis show-validator`")
    .option("--name <name>", "validator name (moniker)")
    .option("--pub-key <base64>", "validator ed25519 public key, base64")
    .option("--self-stake <OPEN>", "self-stake in OPEN, bonded at genesis (default: the file's, else 1000)")
    .option("--operator <address>", "account that operates the validator (default: the file's, else the key's address)")
    .option("--json", `${JSON_OPTION_HELP}: { validator, validators }`)
    .action(
      action(async (opts: AddValidatorOpts) => {
        const { readFileSync } = await import("node:fs");
        const { addValidator, editGenesis, validatorEntry } = await import("../../node/genesis-edit.ts");
        let base: Record<string, unknown> = {};
        if (opts.file !== undefined) {
          try {
            base = JSON.parse(readFileSync(opts.file, "utf8")) as Record<string, unknown>;
          } catch (err) {
            throw new Error(`cannot read validator file ${opts.file}: ${(err as Error).message}`, { cause: err });
          }
        }
        const { parseOpen } = await import("../../state/units.ts");
        const { DEFAULT_GENESIS_SELF_STAKE } = await import("../../node/defaults.ts");
        const selfStake =
          opts.selfStake !== undefined
            ? parseOpen(opts.selfStake).toString()
            : (base.selfStake ?? DEFAULT_GENESIS_SELF_STAKE.toString());
        const entry = validatorEntry({
          name: opts.name ?? base.name,
          pubKey: opts.pubKey ?? base.pubKey,
          selfStake,
          operator: opts.operator ?? base.operator,
          // An address from the file must match its key; a --pub-key given by hand replaces the file's key.
          address: opts.pubKey === undefined ? base.address : undefined,
        });
        const file = editGenesis(opts.home, (g) => addValidator(g, entry));
        emit(opts.json, { validator: entry, validators: file.validators.length }, () =>
          console.log(`added validator ${entry.name} (${entry.address}, self-stake ${entry.selfStake}); genesis now has ` +
            `${file.validators.length} validator${file.validators.length === 1 ? "" : "s"}`));
      }),
    );

  genesis
    .command("add-account")
    .description("Fund an address in <home>/genesis.json.")
    .option("--home <dir>", "home directory whose genesis.json is edited (never started)", DEFAULT_HOME)
    .requiredOption("--address <address>", "account address, opl1...")
    .requiredOption("--balance <OPEN>", "balance in OPEN, e.g. 1000 or 2.5")
    .option("--json", `${JSON_OPTION_HELP}: { address, balance } (base units)`)
    .action(
      action(async (opts: { home: string; address: string; balance: string; json?: boolean }) => {
        const { addAccount, editGenesis } = await import("../../node/genesis-edit.ts");
        const { describeAmount, parseOpen } = await import("../../state/units.ts");
        const balance = parseOpen(opts.balance);
        editGenesis(opts.home, (g) => addAccount(g, opts.address, balance));
        emit(opts.json, { address: opts.address, balance: balance.toString() }, () =>
          console.log(`added account ${opts.address} with ${describeAmount(balance)}`));
      }),
    );

  genesis
    .command("add-accounts")
    .description(
      "Fund many accounts in a file next to genesis.json (one JSON object a line, in ascending address order), " +
      "named in genesis.json by its sha256: genesis.json stays small, and the node streams the file into its " +
      "database once, at its first start. Generate --count accounts (addresses made from --seed, keys unknown: " +
      "state for tests and benchmarks), or check and add your own --file.",
    )
    .option("--home <dir>", "home directory whose genesis.json is edited (never started)", DEFAULT_HOME)
    .option("--count <n>", "generate this many accounts")
    .option("--balance <OPEN>", "balance of each generated account in OPEN", "1")
    .option("--seed <text>", "what generated addresses are made from", "opl-genesis-accounts")
    .option("--file <path>", "add this accounts file instead: {\"address\":\"opl1...\",\"balance\":\"<base units>\"} a line")
    .option("--json", `${JSON_OPTION_HELP}: { count, path, sha256 }`)
    .action(
      action(async (opts: { home: string; count?: string; balance: string; seed: string; file?: string } & Json) => {
        const { addAccountsFile } = await import("../../node/genesis-accounts.ts");
        const { parseOpen } = await import("../../state/units.ts");
        if ((opts.count === undefined) === (opts.file === undefined)) throw new Error("give --count <n> or --file <path>");
        const progress = (done: number, total: number) =>
          process.stderr.write(`accounts: ${done}${total > 0 ? ` of ${total}` : ""}\n`);
        const ref = await addAccountsFile(opts.home, {
          generate: opts.count === undefined
            ? undefined
            : { count: Number(opts.count), balance: parseOpen(opts.balance), seed: opts.seed },
          from: opts.file,
          progress,
        });
        emit(opts.json, { count: ref.count, path: ref.path, sha256: ref.sha256 }, () =>
          console.log(`added ${ref.count} accounts in ${ref.path} (sha256 ${ref.sha256})`));
      }),
    );

  genesis
    .command("reset-validators")
    .description(
      "Remove every validator from <home>/genesis.json, e.g. the coordinator's own `opl init` validator when " +
      "the coordinator does not validate. Accounts are kept. Add validators next: a genesis needs at least one.",
    )
    .option("--home <dir>", "home directory whose genesis.json is edited (never started)", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP}: { removed }`)
    .action(
      action(async (opts: { home: string; json?: boolean }) => {
        const { editGenesis, resetValidators } = await import("../../node/genesis-edit.ts");
        let removed = 0;
        editGenesis(opts.home, (g) => {
          removed = g.validators?.length ?? 0;
          return resetValidators(g);
        });
        emit(opts.json, { removed }, () =>
          console.log(`removed ${removed} validator${removed === 1 ? "" : "s"}; add the network's with: ` +
            "opl genesis add-validator"));
      }),
    );

  genesis
    .command("validate")
    .description(
      "Check a genesis.json as `opl start` will, and print its summary and identity: every operator of a " +
      "network must see the same identity.",
    )
    .option("--home <dir>", "check <home>/genesis.json (default, without --file: $OPL_HOME or ~/.opl)")
    .option("--file <path>", "check this file instead")
    .option("--json", `${JSON_OPTION_HELP}: { chainId, genesisTime, validators, accounts, supply, identity }`)
    .action(
      action(async (opts: { home?: string; file?: string; json?: boolean }) => {
        const { homePaths } = await import("../../node/config.ts");
        const { genesisIdentity, readGenesisFile } = await import("../../node/genesis-file.ts");
        const { encodeAddress } = await import("../../crypto/address.ts");
        const { formatOpen } = await import("../../state/units.ts");
        const path = opts.file ?? homePaths(opts.home ?? DEFAULT_HOME).genesis;
        const { genesisWrites } = await import("../../state/genesis.ts");
        const g = readGenesisFile(path);
        let supply = g.accounts.reduce((sum, a) => sum + a.balance, 0n);
        let count = g.accounts.length;
        if (g.accountsFile !== undefined) {
          // The accounts file is checked line by line, and must be the one genesis.json names.
          const { readAccountsFile } = await import("../../node/genesis-accounts.ts");
          const file = g.accountsFile;
          const read = await readAccountsFile(file.location ?? file.path, { inline: g.accounts.map((a) => a.address) });
          if (read.sha256 !== file.sha256 || read.count !== file.count) {
            throw new Error(`the accounts file ${file.path} (sha256 ${read.sha256}, ${read.count} accounts) is not the ` +
              `one genesis.json names (sha256 ${file.sha256}, ${file.count} accounts)`);
          }
          supply += read.total;
          count += read.count;
        } else {
          // Runs genesis as a node would: a validator whose operator cannot pay its self-stake fails here.
          genesisWrites(g);
        }
        const staked = g.validators.reduce((sum, v) => sum + v.selfStake, 0n);
        if (opts.json) {
          const validators = g.validators.map((v) => ({
            address: encodeAddress(v.address),
            selfStake: v.selfStake.toString(),
            operator: encodeAddress(v.operator),
          }));
          const genesisTime = new Date(g.genesisTimeMs).toISOString();
          const identity = genesisIdentity(g);
          const { chainId } = g;
          const summary = { chainId, genesisTime, validators, accounts: count, supply: supply.toString(), identity };
          console.log(JSON.stringify(summary, null, 2));
          return;
        }
        console.log(`genesis ok: chain ${g.chainId}, genesis time ${new Date(g.genesisTimeMs).toISOString()}`);
        console.log(`validators: ${g.validators.length} (total self-stake ${formatOpen(staked)} OPEN)`);
        for (const v of g.validators) {
          console.log(`  ${encodeAddress(v.address)} self-stake ${formatOpen(v.selfStake)} OPEN, operator ` +
            encodeAddress(v.operator));
        }
        console.log(`accounts: ${count} (total ${formatOpen(supply)} OPEN)`);
        console.log(`identity: ${genesisIdentity(g)}`);
      }),
    );
}
