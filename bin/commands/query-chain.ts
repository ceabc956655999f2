import type { Command } from "commander";
import { action, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";
import { printFields, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";

/** "section.name: value" lines, so grep finds a parameter. */
function flatParams(params: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === "object") {
      for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
    } else flat[k] = v;
  }
  return flat;
}

/**
 * --prove: the params record's proof under a verified header (light/params.ts). Absent, the genesis params
 * are in force: they are read from the genesis file the user trusts (--genesis, else --home's genesis.json),
 * whose chain id must be the header's.
 */
async function provenParams(opts: QueryOpts): Promise<void> {
  const { typedClient } = await import("../../rpc/typed-client.ts");
  const { ProofChecker, verifiedLines } = await import("./query-prove.ts");
  const client = typedClient(resolveRpcUrl(opts));
  const checker = await ProofChecker.prepare(client, opts);
  const height = opts.height === undefined ? undefined : parsePositiveInt(opts.height, "--height");
  const { join } = await import("node:path");
  const { existsSync } = await import("node:fs");
  const path = opts.genesis ?? (opts.home !== undefined ? join(opts.home, "genesis.json") : undefined);
  let genesis;
  if (path !== undefined && existsSync(path)) {
    const { readGenesisFile } = await import("../../node/genesis-file.ts");
    const { paramsToJson } = await import("../../state/params-check.ts");
    const g = readGenesisFile(path);
    genesis = { path, chainId: g.chainId, params: paramsToJson(g.params) };
  }
  const { report, source } = await checker.verifyParams(height, genesis);
  if (opts.json) console.log(JSON.stringify({ verified: { ...report, paramsFrom: source } }, null, 2));
  else {
    printFields({ ...flatParams(report.value as Record<string, unknown>), height: report.height });
    console.log(`params in force: ${source}`);
    for (const line of verifiedLines(report)) console.log(line);
  }
}

/** `opl query chain params` */
export function registerChainQuery(query: Command): void {
  const chain = query.command("chain").description("Chain-wide settings (chain_getParams).");
  withQueryOptions(
    chain
      .command("params")
      .description("The chain parameters: fees, block limits, staking, datanets, models, attribution."),
  ).action(
    action(async (opts: QueryOpts) => {
      if (opts.prove === true) return provenParams(opts);
      await runQuery(opts, "chain_getParams", {}, (params) => {
        const { height, ...rest } = params;
        printFields({ ...flatParams(rest), height });
      });
    }),
  );
}
