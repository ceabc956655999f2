import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { collect, sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

const TRAINED_ON_HELP = "a datanet version it was trained on, DATANET_ID/VERSION, e.g. 3/1 (repeat for several)";

/** `opl tx model ...`: registered weights with their lineage. */
export function registerModelTx(tx: Command): void {
  const model = tx
    .command("model")
    .description(
      "Models: register weights (you own the model) with the datanet versions they were trained on, publish " +
      "new weights, set the price of an inference, choose who may record inferences (operators), retire it.",
    );

  model
    .command("register")
    .description(
      "Register a model, or an adapter on a parent model (--kind adapter --parent ID). Prints its id with " +
      "--wait.",
    )
    .requiredOption("--name <name>", "model name (up to 128 bytes)")
    .requiredOption("--weights-hash <hex>", "sha256 of the weights, 64 hex characters")
    .requiredOption("--uri <uri>", "where the weights are")
    .option("--kind <kind>", "model or adapter", "model")
    .option("--parent <id>", "the parent model of an adapter")
    .option("--base-model <name>", "name of the base weights, e.g. llama-3-8b (an adapter inherits its parent's)", "")
    .option("--trained-on <ref>", TRAINED_ON_HELP, collect)
    .option("--price <OPEN>", "price of one inference in OPEN", "0")
    .action(
      action(
        async (
          opts: TxOpts & {
            name: string;
            weightsHash: string;
            uri: string;
            kind: string;
            parent?: string;
            baseModel: string;
            trainedOn?: string[];
            price: string;
          },
        ) => {
          if (opts.kind !== "model" && opts.kind !== "adapter") {
            throw new Error(`--kind must be model or adapter, got "${opts.kind}"`);
          }
          const kind = opts.kind;
          if ((kind === "adapter") !== (opts.parent !== undefined)) {
            throw new Error("an adapter needs --parent, and only an adapter takes one");
          }
          await sendTx(opts, ({ args }) => ({
            type: "register_model",
            name: opts.name,
            kind,
            parentId: opts.parent === undefined ? 0 : args.parseId(opts.parent, "--parent"),
            baseModel: opts.baseModel,
            weightsHash: args.parseHash(opts.weightsHash, "--weights-hash"),
            uri: opts.uri,
            trainedOn: (opts.trainedOn ?? []).map((r) => args.parseRef(r, "--trained-on")),
            price: args.parseOpen(opts.price),
          }));
        },
      ),
    );

  model
    .command("publish-version")
    .description("Publish new weights of a model you own; what they were trained on adds to its lineage.")
    .requiredOption("--model <id>", "the model's id")
    .requiredOption("--weights-hash <hex>", "sha256 of the new weights, 64 hex characters")
    .requiredOption("--uri <uri>", "where the new weights are")
    .option("--trained-on <ref>", TRAINED_ON_HELP, collect)
    .action(
      action(async (opts: TxOpts & { model: string; weightsHash: string; uri: string; trainedOn?: string[] }) => {
        await sendTx(opts, ({ args }) => ({
          type: "publish_model_version",
          modelId: args.parseId(opts.model, "--model"),
          weightsHash: args.parseHash(opts.weightsHash, "--weights-hash"),
          uri: opts.uri,
          trainedOn: (opts.trainedOn ?? []).map((r) => args.parseRef(r, "--trained-on")),
        }));
      }),
    );

  model.command("set-price").description("Set the price of one inference of a model you own.")
    .requiredOption("--model <id>", "the model's id")
    .requiredOption("--price <OPEN>", "price in OPEN")
    .action(
      action(async (opts: TxOpts & { model: string; price: string }) => {
        await sendTx(opts, ({ args }) => ({
          type: "set_model_price",
          modelId: args.parseId(opts.model, "--model"),
          price: args.parseOpen(opts.price),
        }));
      }),
    );

  model
    .command("set-operators")
    .description("Add or remove operators of a model you own: addresses that may record its inferences.")
    .requiredOption("--model <id>", "the model's id")
    .option("--add <address>", "an address to make an operator (repeat for several)", collect)
    .option("--remove <address>", "an operator to remove (repeat for several)", collect)
    .action(
      action(async (opts: TxOpts & { model: string; add?: string[]; remove?: string[] }) => {
        if (opts.add === undefined && opts.remove === undefined) throw new Error("give --add or --remove");
        await sendTx(opts, ({ args }) => ({
          type: "set_model_operators",
          modelId: args.parseId(opts.model, "--model"),
          add: args.parseAddresses(opts.add ?? [], "--add"),
          remove: args.parseAddresses(opts.remove ?? [], "--remove"),
        }));
      }),
    );

  model
    .command("retire")
    .description("Retire a model you own: no new inferences; those already paid may still be recorded.")
    .requiredOption("--model <id>", "the model's id")
    .action(
      action(async (opts: TxOpts & { model: string }) => {
        await sendTx(opts, ({ args }) => ({ type: "retire_model", modelId: args.parseId(opts.model, "--model") }));
      }),
    );
  // The shared options go last, so --help lists what is particular to each command first.
  for (const c of model.commands) withTxOptions(c);
}
