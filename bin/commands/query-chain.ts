import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { printFields, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";

/** `opl query chain params` */
export function registerChainQuery(query: Command): void {
  const chain = query.command("chain").description("Chain-wide settings (chain_getParams).");
  withQueryOptions(
    chain
      .command("params")
      .description("The chain parameters: fees, block limits, staking, datanets, models, attribution."),
  ).action(
    action(async (opts: QueryOpts) => {
      await runQuery<Record<string, unknown>>(opts, "chain_getParams", {}, (params) => {
        const { height, ...rest } = params;
        // One "section.name: value" line each, so grep finds a parameter.
        const flat: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(rest)) {
          if (v !== null && typeof v === "object") {
            for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
          } else flat[k] = v;
        }
        printFields({ ...flat, height });
      }, {
        notProvable:
          "the chain parameters are fixed in genesis.json, not kept in the state tree: compare them with your " +
          "genesis file (its identity is what the node checked its database against)",
      });
    }),
  );
}
