import type { Command } from "commander";
import { action, DEFAULT_HOME, emit, JSON_OPTION_HELP } from "../cli-util.ts";

const loadKeyring = async (home: string) => new (await import("../../node/keyring.ts")).Keyring(home);

/** All of stdin as text (a mnemonic, a key file). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks on stderr and reads one line of stdin; true only for y or yes (no answer, end of input: no). */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  return /^\s*y(es)?\s*$/i.test(answer);
}

const MNEMONIC_WARNING =
  "Write these 24 words down and keep them offline: they are the only backup of this key, and anyone who " +
  "has them can spend from it. They are shown once and not stored.";

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description(
      "Manage account keys in the home directory's keyring (<home>/keyring, files with mode 0600).",
    );

  keys
    .command("add <name>")
    .description(
      "Create a new ed25519 key from a new 24-word BIP-39 mnemonic and print its address (opl1...); the " +
      "mnemonic goes to stderr, once (not stored). --recover: the key of a mnemonic read from stdin.",
    )
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("--recover", "read a 24-word mnemonic from stdin and add its key (as the same words always give)")
    .option("--json", `${JSON_OPTION_HELP}: { name, address, publicKey, mnemonic } (no mnemonic with --recover)`)
    .action(
      action(async (name: string, opts: { home: string; recover?: boolean; json?: boolean }) => {
        const { toHex } = await import("../../crypto/bytes.ts");
        const { generateMnemonic, mnemonicToSecretKey } = await import("../../crypto/mnemonic.ts");
        const keyring = await loadKeyring(opts.home);
        if (keyring.has(name)) throw new Error(`key "${name}" already exists in ${keyring.dir}`);
        if (opts.recover && process.stdin.isTTY) console.error("Enter the 24 words, then Enter and Ctrl-D:");
        const mnemonic = opts.recover ? await readStdin() : generateMnemonic();
        const key = keyring.add(name, mnemonicToSecretKey(mnemonic));
        const shown = opts.recover ? {} : { mnemonic };
        emit(opts.json, { name: key.name, address: key.address, publicKey: toHex(key.publicKey), ...shown }, () => {
          console.log(key.address);
          if (!opts.recover) console.error(`\n${MNEMONIC_WARNING}\n\n${mnemonic}\n`);
        });
      }),
    );

  keys
    .command("import <name> [file]")
    .description(
      "Add a key from a keyring file (as opl keys export prints it; FILE or - for stdin, the default). " +
      "Only its secretKey is needed; an address it states must be that key's.",
    )
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP}: { name, address, publicKey }`)
    .action(
      action(async (name: string, file: string | undefined, opts: { home: string; json?: boolean }) => {
        const { toHex } = await import("../../crypto/bytes.ts");
        let text: string;
        if (file === undefined || file === "-") text = await readStdin();
        else {
          const { readFileSync } = await import("node:fs");
          try {
            text = readFileSync(file, "utf8");
          } catch (err) {
            throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
          }
        }
        const key = (await loadKeyring(opts.home)).import(name, text);
        emit(opts.json, { name: key.name, address: key.address, publicKey: toHex(key.publicKey) }, () =>
          console.log(key.address));
      }),
    );

  keys
    .command("export <name>")
    .description(
      "Print a key's keyring file, secret key included (opl keys import takes it). Anyone who sees it can " +
      "spend from the key: a warning goes to stderr.",
    )
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP}: { name, address, publicKey, secretKey } (the keyring file itself)`)
    .action(
      action(async (name: string, opts: { home: string; json?: boolean }) => {
        const { keyFileText } = await import("../../node/keyring.ts");
        const key = (await loadKeyring(opts.home)).get(name);
        console.error(
          `WARNING: below is the secret key of "${name}" (${key.address}). Anyone who sees it can spend from ` +
          "it: do not paste it anywhere you would not put the key itself.",
        );
        process.stdout.write(keyFileText(key)); // the file is JSON already: the same bytes with or without --json
      }),
    );

  keys
    .command("delete <name>")
    .description("Remove a key from the keyring for good. Asks first (answer y on stdin) unless --yes.")
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("-y, --yes", "do not ask")
    .option("--json", `${JSON_OPTION_HELP}: { name, address, deleted: true }`)
    .action(
      action(async (name: string, opts: { home: string; yes?: boolean; json?: boolean }) => {
        const keyring = await loadKeyring(opts.home);
        const key = keyring.get(name);
        if (!opts.yes && !(await confirm(`delete key "${name}" (${key.address})? Without a backup it is lost.`))) {
          throw new Error(`key "${name}" not deleted (answer y, or pass --yes)`);
        }
        keyring.delete(name);
        emit(opts.json, { name, address: key.address, deleted: true }, () => console.log(`deleted key "${name}"`));
      }),
    );

  keys
    .command("list")
    .description("List the keys in the keyring: name and address.")
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("--json", `${JSON_OPTION_HELP}: [{ name, address }]`)
    .action(
      action(async (opts: { home: string; json?: boolean }) => {
        const list = (await loadKeyring(opts.home)).list();
        emit(opts.json, list.map((k) => ({ name: k.name, address: k.address })), () => {
          if (list.length === 0) console.log("(no keys)");
          for (const k of list) console.log(`${k.name}\t${k.address}`);
        });
      }),
    );

  keys
    .command("show <name>")
    .description("Show one key's address and public key (never the secret).")
    .option("--home <dir>", "home directory", DEFAULT_HOME)
    .option("--address", "print only the address")
    .option("--json", `${JSON_OPTION_HELP}: { name, address, publicKey }`)
    .action(
      action(async (name: string, opts: { home: string; address?: boolean; json?: boolean }) => {
        const { toHex } = await import("../../crypto/bytes.ts");
        const k = (await loadKeyring(opts.home)).get(name);
        emit(opts.json, { name: k.name, address: k.address, publicKey: toHex(k.publicKey) }, () => {
          if (opts.address) console.log(k.address);
          else console.log(`name: ${k.name}\naddress: ${k.address}\npublic key: ${toHex(k.publicKey)}`);
        });
      }),
    );
}
