import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { action, CliError, resolveRpcUrl } from "../cli-util.ts";

interface BroadcastOpts {
  rpc?: string;
  home?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
  dryRun?: boolean;
}

/**
 * `opl tx broadcast FILE|-`: submits a transaction signed earlier (perhaps offline) with `--sign-only`, whose
 * output it takes exactly as printed: the base64 line, or with --json the { tx, hash } object.
 */
export function registerTxBroadcast(tx: Command): void {
  tx.command("broadcast <file>")
    .description(
      "Submit a signed transaction as `opl tx ... --sign-only` printed it (base64, or its --json object) from " +
      "FILE, or from standard input with -. Prints the hash; --wait reports the block and what it did.",
    )
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--wait", "wait until the transaction is included; exit non-zero if it failed")
    .option("--timeout <seconds>", "how long --wait waits", "30")
    .option("--dry-run", "run it against the latest state (tx_simulate) instead; submit nothing")
    .option("--json", "print JSON: { hash } or, with --wait, { hash, height, code, reason, log, events, id }")
    .action(
      action(async (file: string, opts: BroadcastOpts) => {
        const { toBase64, toHex } = await import("../../crypto/bytes.ts");
        const { typedClient } = await import("../../rpc/typed-client.ts");
        const { submitSigned } = await import("./tx-send.ts");
        const signed = await readSigned(file);
        const client = typedClient(resolveRpcUrl(opts));
        if (opts.dryRun) {
          const { dryRun } = await import("./tx-dry-run.ts");
          await dryRun(client, toBase64(signed.bytes), signed.body.fee, opts.json);
          return;
        }
        await submitSigned(client, toBase64(signed.bytes), toHex(signed.hash), opts);
      }),
    );
}

/** The signed tx in FILE (or stdin for "-"), decoded here so a wrong file is named before anything is sent. */
async function readSigned(file: string) {
  const { fromBase64 } = await import("../../crypto/bytes.ts");
  const { decodeTx } = await import("../../proto/tx.ts");
  const where = file === "-" ? "standard input" : file;
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8").trim();
  } catch (err) {
    throw new CliError("ERROR", `cannot read ${where}: ${(err as Error).message}`, { cause: err });
  }
  let base64 = text;
  if (text.startsWith("{")) {
    const parsed = parseJson(text) as { tx?: unknown } | undefined;
    if (typeof parsed?.tx !== "string") throw new CliError("ERROR", `${where} holds JSON without a "tx" string`);
    base64 = parsed.tx;
  }
  const bytes = fromBase64(base64);
  if (bytes === undefined || bytes.byteLength === 0) {
    throw new CliError("ERROR", `${where} does not hold a signed transaction: expected the base64 line or the ` +
      "JSON object that `opl tx ... --sign-only` prints");
  }
  try {
    return decodeTx(bytes);
  } catch (err) {
    throw new CliError("ERROR", `${where} does not hold a signed transaction: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
