import type { Command } from "commander";
import { action, parsePositiveInt } from "../cli-util.ts";
import { open, printFields, printPage, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";

/** Exactly one of the flags, as the method's param it stands for. */
function oneOf<K extends string>(flags: Record<string, [K, string | undefined]>): OneParam<K> {
  const given = Object.entries(flags).filter(([, [, v]]) => v !== undefined);
  if (given.length !== 1) throw new Error(`give exactly one of ${Object.keys(flags).join(", ")}`);
  const [flag, [param, value]] = given[0];
  return { [param]: param === "payer" ? value : parsePositiveInt(value as string, flag) } as OneParam<K>;
}

/** The params oneOf makes: an address for "payer", an id for the others. */
type OneParam<K extends string> = { [P in K]?: P extends "payer" ? string : number };

/** The earnings key of state_getProof for the one of --contribution, --datanet, --model given. */
function earningsKeyOf(params: object): { kind: "contribution" | "datanet" | "model"; id: number } {
  const [param, id] = Object.entries(params)[0] as [string, number];
  return { kind: param.replace(/Id$/, "") as "contribution" | "datanet" | "model", id };
}

/** `opl query attribution ...` */
export function registerAttributionQuery(query: Command): void {
  const attribution = query
    .command("attribution")
    .description("Paid inferences, rewards and earnings (attribution_* methods).");

  withQueryOptions(
    attribution.command("inference <id>").description("One inference: model, payer, price, status, output, weights."),
  ).action(
    action(async (id: string, opts: QueryOpts) => {
      const inference = parsePositiveInt(id, "id");
      await runQuery(opts, "attribution_getInference", { id: inference }, printFields, { key: { inference } });
    }),
  );

  withQueryOptions(
    attribution
      .command("inferences")
      .description("List inferences of a model, of a payer, or weighting a contribution (exactly one)."),
    true,
  )
    .option("--model <id>", "a model's inferences")
    .option("--payer <address>", "a payer's inferences")
    .option("--contribution <id>", "recorded inferences that weight this contribution")
    .action(
      action(async (opts: QueryOpts & { model?: string; payer?: string; contribution?: string }) => {
        const params = oneOf({
          "--model": ["modelId", opts.model],
          "--payer": ["payer", opts.payer],
          "--contribution": ["contributionId", opts.contribution],
        });
        await runQuery(opts, "attribution_listInferences", params, (page) =>
          printPage(
            page,
            (i) => `#${i.id} model ${i.modelId} ${i.status} ${open(i.price)} paid by ${i.payer} at ${i.createdHeight}`,
            "inferences",
          ),
        );
      }),
    );

  withQueryOptions(
    attribution
      .command("payouts <inferenceId>")
      .description(
        "Who earned how much from a recorded inference: treasury, model owner, each contribution and its " +
        "contributor (whole-version weights included), as credited at record time.",
      ),
  ).action(
    action(async (id: string, opts: QueryOpts) => {
      const inferenceId = parsePositiveInt(id, "inferenceId");
      await runQuery(opts, "attribution_getPayouts", { inferenceId }, (p) => {
        console.log(`inference ${p.inferenceId}: ${open(p.price)}, recorded at height ${p.recordedHeight}`);
        console.log(`  treasury: ${open(p.treasury)}`);
        console.log(`  owner ${p.owner.address}: ${open(p.owner.amount)}`);
        for (const c of p.contributions) {
          console.log(`  contribution ${c.contributionId} (weight ${c.weight}) ${c.contributor}: ${open(c.amount)}`);
        }
      }, { key: { payouts: inferenceId } });
    }),
  );

  withQueryOptions(
    attribution
      .command("rewards <address>")
      .description(
        "An address's rewards: claimable now, claimed, and earned per model and contribution (the sources a " +
        "page at a time: --cursor, --limit; --prove verifies the claimable and claimed totals).",
      ),
    true,
    true,
  ).action(
    action(async (address: string, opts: QueryOpts) => {
      await runQuery(opts, "attribution_getRewards", { address }, (r) => {
        console.log(`claimable: ${open(r.accrued)}`);
        console.log(`claimed:   ${open(r.claimed)}`);
        for (const b of r.breakdown) console.log(`  from ${b.source} ${b.id}: ${open(b.amount)}`);
        if (r.nextCursor !== null) console.log(`more sources: --cursor ${r.nextCursor}`);
      }, { key: { rewards: address } });
    }),
  );

  withQueryOptions(
    attribution
      .command("earnings")
      .description("What a contribution, a datanet or a model has earned from inferences, ever (exactly one)."),
  )
    .option("--contribution <id>", "a contribution's earnings")
    .option("--datanet <id>", "a datanet's (all its contributions')")
    .option("--model <id>", "a model's (its owner share)")
    .action(
      action(async (opts: QueryOpts & { contribution?: string; datanet?: string; model?: string }) => {
        const params = oneOf({
          "--contribution": ["contributionId", opts.contribution],
          "--datanet": ["datanetId", opts.datanet],
          "--model": ["modelId", opts.model],
        });
        await runQuery(opts, "attribution_getEarnings", params, (e) =>
          console.log(`${e.kind} ${e.id} earned ${open(e.total)}`), { key: { earnings: earningsKeyOf(params) } },
        );
      }),
    );
}
