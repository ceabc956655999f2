import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { collect, sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

/** `opl tx inference pay`, `opl tx attribution record`, `opl tx rewards claim`: the paid-inference loop. */
export function registerAttributionTx(tx: Command): void {
  const inference = tx
    .command("inference")
    .description(
      "Pay for an inference of a model: its price is held in escrow until an operator records the output " +
      "(and the fee is split), or refunded if nobody does within inferenceExpiryBlocks.",
    );
  inference.command("pay").description("Pay a model's price for one inference. Prints its id with --wait.")
    .requiredOption("--model <id>", "the model's id")
    .requiredOption("--request-hash <hex>", "sha256 of the request, 64 hex characters")
    .option("--max-price <OPEN>", "the most you agree to pay (default: the model's price now, read from the node)")
    .action(
      action(async (opts: TxOpts & { model: string; requestHash: string; maxPrice?: string }) => {
        await sendTx(opts, async ({ args, client }) => {
          const modelId = args.parseId(opts.model, "--model");
          const maxPrice =
            opts.maxPrice !== undefined
              ? args.parseOpen(opts.maxPrice)
              : BigInt((await client.model.get({ id: modelId })).price);
          return {
            type: "pay_inference",
            modelId,
            requestHash: args.parseHash(opts.requestHash, "--request-hash"),
            maxPrice,
          };
        });
      }),
    );

  const attribution = tx
    .command("attribution")
    .description("Record a paid inference's output and the data it owes, which splits its fee into rewards.");
  attribution
    .command("record")
    .description(
      "Record an inference (an operator of its model): the output hash and the weights of the data it " +
      "owes, in parts per million of the data share, each a contribution or a whole datanet version the " +
      "model was trained on. The treasury and the model owner take their shares (chain params); the " +
      "weights split the rest, the data share; what they leave of it goes to the treasury.",
    )
    .requiredOption("--inference <id>", "the inference's id")
    .requiredOption("--output-hash <hex>", "sha256 of the output, 64 hex characters")
    .option(
      "--weight <weight>",
      "contribution:ID=PPM or datanet:ID/VERSION=PPM, e.g. contribution:4=250000 (repeat for several)",
      collect,
    )
    .action(
      action(async (opts: TxOpts & { inference: string; outputHash: string; weight?: string[] }) => {
        await sendTx(opts, ({ args }) => ({
          type: "record_inference",
          inferenceId: args.parseId(opts.inference, "--inference"),
          outputHash: args.parseHash(opts.outputHash, "--output-hash"),
          weights: (opts.weight ?? []).map((w) => args.parseWeight(w, "--weight")),
        }));
      }),
    );

  const rewards = tx.command("rewards").description("Claim the rewards your models and contributions earned.");
  rewards.command("claim").description("Move every accrued reward of --from into its balance.").action(
    action(async (opts: TxOpts) => {
      await sendTx(opts, () => ({ type: "claim_rewards" }));
    }),
  );
  // The shared options go last, so --help lists what is particular to each command first.
  for (const group of [inference, attribution, rewards]) for (const c of group.commands) withTxOptions(c);
}
