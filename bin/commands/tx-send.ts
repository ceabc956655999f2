import type { Command } from "commander";
import type { KeyEntry } from "../../node/keyring.ts";
import type { TxMsg } from "../../proto/tx.ts";
import type { TypedClient } from "../../rpc/typed-client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { formatOpen } from "../../state/units.ts";
import { CliError, DEFAULT_HOME, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";

/**
 * The path every `opl tx ...` command shares: the common options, then sign with a keyring key, submit,
 * and (with --wait) wait for the block and report what the transaction did. Heavy modules load inside
 * sendTx, so registering the commands costs nothing at start-up.
 */

/** 0.001 OPEN: 1 OPEN pays the fee of a thousand transfers. */
export const DEFAULT_FEE = "0.001";

export interface TxOpts {
  home: string;
  from: string;
  fee: string;
  rpc?: string;
  chainId?: string;
  nonce?: string;
  wait?: boolean;
  timeout: string;
  signOnly?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export interface TxEventView {
  type: string;
  attributes: Record<string, string>;
}

export interface IncludedTx {
  height: number;
  index: number;
  result: { code: number; reason?: string; log: string; events: TxEventView[] };
}

/** What a command's message builder gets: the signing key, a client (to read state first), the parsers. */
export interface TxSession {
  key: KeyEntry;
  client: TypedClient;
  args: typeof import("./tx-args.ts");
  chainId: string;
}

/** Adds the options every transaction command takes. */
export function withTxOptions(cmd: Command): Command {
  return cmd
    .option("--home <dir>", "home directory holding the keyring", DEFAULT_HOME)
    .requiredOption("--from <name>", "name of the signing key in the keyring (the sender)")
    .option("--fee <OPEN>", "fee in OPEN, paid to the block proposer's operator", DEFAULT_FEE)
    .option("--rpc <url>", "node JSON-RPC URL (default: rpc.listen of --home's config.toml)")
    .option("--nonce <n>", "sender nonce (default: asked from the node); needed with --sign-only offline")
    .option("--chain-id <id>", "chain id (default: asked from the node)")
    .option("--wait", "wait until the transaction is included; exit non-zero if it failed")
    .option("--timeout <seconds>", "how long --wait waits", "30")
    .option("--sign-only", "print the base64 signed transaction instead of sending it (opl tx broadcast sends it)")
    .option("--dry-run", "run it against the latest state (tx_simulate) and print what it would do; submit nothing")
    .option("--json", "print JSON: { hash } or, with --wait, { hash, height, code, reason, log, events, id }");
}

/** Repeatable options: commander calls this once per occurrence (undefined when the flag is absent). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Polls tx_get until the tx is included or the timeout passes. */
async function waitForInclusion(client: TypedClient, hash: string, timeoutMs: number): Promise<IncludedTx> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.tx.get({ hash });
    } catch (err) {
      if (!(err instanceof RpcError) || (err.data as { reason?: string })?.reason !== "TX_NOT_FOUND") throw err;
    }
    if (Date.now() > deadline) throw new CliError("TIMEOUT", `transaction ${hash} was not included within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The `id` attribute of the first event that has one (the datanet, contribution, model or inference made). */
export function createdId(events: readonly TxEventView[]): number | null {
  const id = events.find((e) => e.attributes.id !== undefined)?.attributes.id;
  return id === undefined ? null : Number(id);
}

/** Event attributes that hold amounts of base units: printed in OPEN. */
const AMOUNT_ATTRIBUTES = new Set(["amount", "fee", "price", "refund", "stake", "staked", "requested", "treasury"]);

/** An attribute as a person reads it: amounts in OPEN ("amount=2.5 OPEN"), the rest as they are. */
function attributeText(key: string, value: string): string {
  return AMOUNT_ATTRIBUTES.has(key) && /^\d+$/.test(value) ? `${key}=${formatOpen(BigInt(value))} OPEN` : `${key}=${value}`;
}

/** A line per event of the message (the fee event is the same for every tx): "  create_datanet id=1 ...". */
export function describeEvents(events: readonly TxEventView[]): string {
  return events
    .filter((e) => e.type !== "fee")
    .map((e) => `\n  ${e.type} ${Object.entries(e.attributes).map(([k, v]) => attributeText(k, v)).join(" ")}`)
    .join("");
}

/**
 * Builds the message, signs it with --from's key and sends it (or prints it with --sign-only). With --wait,
 * prints the block it landed in followed by `describe`'s account of it (default: its events, a line each);
 * a failed message exits non-zero with the chain's log.
 */
export async function sendTx(
  opts: TxOpts,
  build: (s: TxSession) => TxMsg | Promise<TxMsg>,
  describe: (included: IncludedTx) => string = (t) => describeEvents(t.result.events),
): Promise<void> {
  const { toBase64, toHex } = await import("../../crypto/bytes.ts");
  const { Keyring } = await import("../../node/keyring.ts");
  const { typedClient } = await import("../../rpc/typed-client.ts");
  const { buildTx, portableSigner } = await import("../../rpc/tx-builder.ts");
  const { parseOpen } = await import("../../state/units.ts");
  const args = await import("./tx-args.ts");
  const key = new Keyring(opts.home).get(opts.from);
  const client = typedClient(resolveRpcUrl(opts));
  const chainId = opts.chainId ?? (await client.node.getStatus()).chainId;
  const msg = await build({ key, client, args, chainId });
  const fee = parseOpen(opts.fee);
  parsePositiveInt(opts.timeout, "--timeout"); // refused before anything is signed or sent
  const nonce =
    opts.nonce !== undefined
      ? parsePositiveInt(opts.nonce, "--nonce")
      : (await client.account.get({ address: key.address })).nonce;
  const built = buildTx({ chainId, publicKey: key.publicKey, nonce, fee, msg }, portableSigner(key.secretKey));
  if (opts.signOnly) {
    const tx = toBase64(built.bytes);
    console.log(opts.json ? JSON.stringify({ tx, hash: toHex(built.hash) }) : tx);
    return;
  }
  if (opts.dryRun) {
    const { dryRun } = await import("./tx-dry-run.ts");
    await dryRun(client, toBase64(built.bytes), fee, opts.json);
    return;
  }
  await submitSigned(client, toBase64(built.bytes), toHex(built.hash), opts, describe);
}

/**
 * Submits a signed tx (base64) and prints its hash (or { hash } with --json); with --wait, waits for its block
 * and reports what it did (`describe`), failing with EXIT.TX_FAILED if it failed. `expected`: the hash the
 * sender computed, checked against the node's answer.
 */
export async function submitSigned(
  client: TypedClient,
  tx: string,
  expected: string,
  opts: { wait?: boolean; timeout: string; json?: boolean },
  describe: (included: IncludedTx) => string = (t) => describeEvents(t.result.events),
): Promise<void> {
  const timeoutMs = parsePositiveInt(opts.timeout, "--timeout") * 1000;
  const { hash } = await client.tx.submit({ tx });
  if (hash !== expected) throw new Error(`node answered hash ${hash}, expected ${expected}`);
  if (!opts.json) console.log(hash);
  if (!opts.wait) {
    if (opts.json) console.log(JSON.stringify({ hash }));
    return;
  }
  const included = await waitForInclusion(client, hash, timeoutMs);
  const { code, log, events } = included.result;
  const reason = included.result.reason ?? (code === 0 ? "OK" : `CODE_${code}`);
  if (opts.json) {
    const id = createdId(events);
    console.log(JSON.stringify({ hash, height: included.height, code, reason, log, events, id }, null, 2));
  }
  if (code !== 0) throw new CliError("TX_FAILED", `failed in block ${included.height} with ${reason} (code ${code}): ${log}`);
  if (opts.json) return;
  console.log(`included in block ${included.height} (index ${included.index})${describe(included)}`);
}
