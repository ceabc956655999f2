import type { Command } from "commander";
import { action, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";

interface WatchOptions {
  rpc?: string;
  home?: string;
  address?: string;
  type?: string;
  event?: string;
  fromHeight?: string;
  cursor?: string;
  json?: boolean;
}

/** "type.attribute=value" as tx_search's event filter. */
function parseEvent(text: string): { type: string; attribute: string; value: string } {
  const m = /^([^.=]+)\.([^=]+)=(.+)$/.exec(text);
  if (m === null) throw new Error(`--event must be type.attribute=value (e.g. contribute.datanet=1), got "${text}"`);
  return { type: m[1], attribute: m[2], value: m[3] };
}

export function registerWatch(program: Command): void {
  program
    .command("watch")
    .description(
      "Print blocks, transactions or events as they are committed (a WebSocket subscription, ws://HOST:PORT/ws). " +
      "Filters are tx_search's. If the connection drops (the node restarts, or cuts this watcher off as too " +
      "slow), it reconnects and resumes from the last item printed, so nothing is missed or printed twice.",
    )
    .argument("<topic>", "blocks | txs | events")
    .option("--address <addr>", "only txs (and events of txs) involving this address")
    .option("--type <type>", "only txs of this message type (transfer, contribute, ...)")
    .option("--event <type.attr=value>", "only txs with this event attribute; with events, only those events")
    .option("--from-height <h>", "first replay every item from this height, then go on live")
    .option("--cursor <cursor>", "resume right after the item this cursor names (printed with --json)")
    .option("--json", "one JSON object per line (each with its height and cursor)")
    .option("--rpc <url>", "node JSON-RPC URL (http://HOST:PORT; the socket is ws://HOST:PORT/ws)")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .action(
      action(async (topic: string, opts: WatchOptions) => {
        if (!["blocks", "txs", "events"].includes(topic)) {
          throw new Error(`topic must be blocks, txs or events, got "${topic}"`);
        }
        const filter: Record<string, unknown> = {};
        if (opts.address !== undefined) filter.address = opts.address;
        if (opts.type !== undefined) filter.type = opts.type;
        if (opts.event !== undefined) filter.event = parseEvent(opts.event);
        const { watch } = await import("../watch-stream.ts");
        const { watchLine } = await import("../watch-lines.ts");
        await watch({
          url: `${resolveRpcUrl(opts).replace(/^http/, "ws").replace(/\/$/, "")}/ws`,
          topic,
          filter: Object.keys(filter).length > 0 ? filter : undefined,
          fromHeight: opts.fromHeight === undefined ? undefined : parsePositiveInt(opts.fromHeight, "--from-height"),
          cursor: opts.cursor,
          print: (r) => console.log(opts.json ? JSON.stringify(r) : watchLine(r)),
          note: (text) => console.error(text),
        });
      }),
    );
}
