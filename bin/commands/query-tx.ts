import type { Command } from "commander";
import type { ResultOf } from "../../rpc/typed-client.ts";
import { action, resolveRpcUrl } from "../cli-util.ts";

/** tx_getStatus's answer, typed from its declaration (rpc/methods/tx.ts). */
type TxStatusJson = ResultOf<"tx_getStatus">;

/** One line a person reads first, then the why. */
function statusLine(s: TxStatusJson): string {
  switch (s.status) {
    case "included":
      return `included in block ${s.height} at index ${s.index}, code ${s.code} (${s.reason})`;
    case "pending":
      return `pending (${s.reason})`;
    case "rejected":
    case "evicted":
      return `${s.status} at height ${s.height} (${s.reason})`;
    default:
      return "unknown (never seen by this node, or its fate is no longer remembered)";
  }
}

/** `opl query tx HASH`: what became of a transaction (tx_getStatus). */
export function registerTxQuery(query: Command): void {
  query
    .command("tx <hash>")
    .description(
      "What became of a transaction: pending (and why it waits), included (block, index, code), rejected or " +
      "evicted after admission (why), or unknown. Fates are remembered for a while (tx_getStatus).",
    )
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--json", "print the JSON-RPC result")
    .action(
      action(async (hash: string, opts: { rpc?: string; home?: string; json?: boolean }) => {
        if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new Error(`the hash must be 64 hex characters, got "${hash}"`);
        const { typedClient } = await import("../../rpc/typed-client.ts");
        const s = await typedClient(resolveRpcUrl(opts)).tx.getStatus({ hash: hash.toLowerCase() });
        if (opts.json === true) {
          console.log(JSON.stringify(s, null, 2));
          return;
        }
        console.log(`hash:   ${s.hash}`);
        console.log(`status: ${statusLine(s)}`);
        if ("message" in s) console.log(`why:    ${s.message}`);
        if ("replacedBy" in s && s.replacedBy !== undefined) console.log(`replaced by: ${s.replacedBy}`);
      }),
    );
}
