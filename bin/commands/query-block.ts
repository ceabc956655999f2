import type { Command } from "commander";
import { action, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";
import { open, printFields, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";
import type { ResultOf } from "../../rpc/typed-client.ts";

/**
 * chain_getBlock's answer with txs: "full", as its declaration types it (rpc/methods/chain.ts): each tx in
 * full with its result (the declaration also allows the hashes alone, for the other txs modes).
 */
type Block = ResultOf<"chain_getBlock">;
type FullBlock = Omit<Block, "txs"> & { txs: Exclude<Block["txs"][number], string>[] };

/** `opl query block H|HASH` and `opl query supply`: the chain's own records, in OPEN. */
export function registerBlockQuery(query: Command): void {
  query
    .command("block <block>")
    .description(
      "A committed block by height or hash (chain_getBlock with every tx's result, page by page): header, each tx " +
      "with what it did (amounts in OPEN, reason names for failures), the block's own events.",
    )
    .option("--rpc <url>", "node JSON-RPC URL")
    .option("--home <dir>", "take the RPC URL from this home's config.toml")
    .option("--json", "print the JSON-RPC result")
    .action(
      action(async (block: string, opts: { rpc?: string; home?: string; json?: boolean }) => {
        const { typedClient } = await import("../../rpc/typed-client.ts");
        const where = /^[0-9a-fA-F]{64}$/.test(block)
          ? { hash: block.toLowerCase() }
          : { height: parsePositiveInt(block, "block (a height or a 64-hex hash)") };
        const { MAX_BLOCK_TX_PAGE } = await import("../../rpc/block-tx-page.ts");
        const client = typedClient(resolveRpcUrl(opts));
        const page = { txs: "full", txLimit: MAX_BLOCK_TX_PAGE } as const;
        // txs: "full" asked for each tx in full; a block of more than a page is read page by page.
        const full = (await client.chain.getBlock({ ...where, ...page })) as FullBlock;
        while (full.txs.length < full.numTxs) {
          const { height } = full.header;
          const next = (await client.chain.getBlock({ height, ...page, txOffset: full.txs.length })) as FullBlock;
          if (next.txs.length === 0) throw new Error(`block ${height} gave ${full.txs.length} of its ${full.numTxs} txs, then none`);
          full.txs.push(...next.txs);
        }
        if (opts.json) console.log(JSON.stringify(full, null, 2));
        else await printBlock(full);
      }),
    );

  withQueryOptions(
    query
      .command("supply")
      .description("Total OPEN supply and where it is: balances, bonded and unbonding stake, escrows, rewards, treasury."),
    false,
    false,
  ).action(
    action(async (opts: QueryOpts) => {
      await runQuery(opts, "bank_getSupply", {}, (supply) => {
        const lines: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(supply)) lines[k] = typeof v === "string" && /^\d+$/.test(v) ? open(v) : v;
        printFields(lines);
      });
    }),
  );
}

async function printBlock(b: FullBlock): Promise<void> {
  const { describeEvents } = await import("./tx-send.ts");
  const { txErrorName } = await import("../../state/errors.ts");
  console.log(`block ${b.header.height} hash ${b.hash}`);
  printFields({ time: b.header.time, proposer: b.header.proposer, stateRoot: b.header.stateRoot, txs: b.txs.length });
  for (const t of b.txs) {
    const { code, log } = t.result;
    const outcome = code === 0 ? "ok" : `failed ${txErrorName(code) ?? `CODE_${code}`} (code ${code}): ${log}`;
    console.log(`  ${t.hash} ${t.tx.msg.type} from ${t.tx.sender} fee ${open(t.tx.fee)}: ${outcome}`);
    // describeEvents gives "\n  type k=v ..." per event: here a level deeper, under their tx.
    for (const line of describeEvents(t.result.events).split("\n").slice(1)) console.log(`  ${line}`);
  }
  if (b.events.length > 0) console.log(`block events:${describeEvents(b.events)}`);
  if (b.evidence.length > 0) console.log(`evidence: ${JSON.stringify(b.evidence)}`);
}
