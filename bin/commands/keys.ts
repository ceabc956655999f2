import type { Command } from "commander";
import { action, emit, JSON_OPTION_HELP } from "../cli-util.ts";

const loadKeyring = async (home: string) => new (await import("../../node/keyring.ts")).Keyring(home);

export function registerKeys(program: Command): void {
  const keys = program
    .command("keys")
    .description(
      "Manage account keys in the home directory's keyring (<home>/keyring, files with mode 0600).",
    );

  keys
    .command("add <name>")
    .description("Create a new ed25519 key and print its address (opl1...).")
    .requiredOption("--home <dir>", "home directory")
    .option("--json", `${JSON_OPTION_HELP}: { name, address, publicKey }`)
    .action(
      action(async (name: string, opts: { home: string; json?: boolean }) => {
        const { toHex } = await import("../../crypto/bytes.ts");
        const key = (await loadKeyring(opts.home)).add(name);
        emit(opts.json, { name: key.name, address: key.address, publicKey: toHex(key.publicKey) }, () =>
          console.log(key.address));
      }),
    );

  keys
    .command("list")
    .description("List the keys in the keyring: name and address.")
    .requiredOption("--home <dir>", "home directory")
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
    .requiredOption("--home <dir>", "home directory")
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
