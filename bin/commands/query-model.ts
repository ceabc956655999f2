import type { Command } from "commander";
import { action, parsePositiveInt } from "../cli-util.ts";
import { open, printFields, printPage, type QueryOpts, type QueryParams, runQuery, withQueryOptions } from "./query-util.ts";

/** `opl query model ...` */
export function registerModelQuery(query: Command): void {
  const model = query.command("model").description("Models and their lineage (model_* methods).");

  withQueryOptions(
    model.command("get <id>").description("One model: owner, weights, price, operators, lineage (parent, datanet versions)."),
  ).action(
    action(async (id: string, opts: QueryOpts) => {
      const model = parsePositiveInt(id, "id");
      // --prove verifies the model record; the lineage printed without it comes from other records.
      await runQuery(opts, "model_get", { id: model }, printFields, { key: { model } });
    }),
  );

  withQueryOptions(model.command("list").description("List models by id; filters combine."), true)
    .option("--owner <address>", "only this owner's")
    .option("--base-model <name>", "only those on these base weights")
    .option("--datanet <id>", "only those trained on a version of this datanet")
    .action(
      action(async (opts: QueryOpts & { owner?: string; baseModel?: string; datanet?: string }) => {
        const params: QueryParams<"model_list"> = {};
        if (opts.owner !== undefined) params.owner = opts.owner;
        if (opts.baseModel !== undefined) params.baseModel = opts.baseModel;
        if (opts.datanet !== undefined) params.datanetId = parsePositiveInt(opts.datanet, "--datanet");
        await runQuery(opts, "model_list", params, (page) =>
          printPage(
            page,
            (m) =>
              `#${m.id} ${JSON.stringify(m.name)} ${m.kind} v${m.version} base ${m.baseModel || "-"} ` +
              `price ${open(m.price)} owner ${m.owner}${m.retired ? " retired" : ""}`,
            "models",
          ),
        );
      }),
    );
}
