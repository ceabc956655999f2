import type { Command } from "commander";
import { action } from "../cli-util.ts";
import type { ResultOf } from "../../rpc/typed-client.ts";
import { open, printFields, printPage, type QueryOpts, type QueryParams, runQuery, withQueryOptions } from "./query-util.ts";

type ValidatorItem = ResultOf<"staking_getValidators">["items"][number];

function validatorLine(v: ValidatorItem): string {
  const state = v.tombstoned ? " tombstoned" : v.jailed ? ` jailed until ${v.jailedUntil}` : "";
  return `${v.operator} ${JSON.stringify(v.moniker)} ${open(v.tokens)} power ${v.power} ` +
    `${v.active ? "active" : "inactive"}${state}`;
}

/** `opl query staking ...` */
export function registerStakingQuery(query: Command): void {
  const staking = query.command("staking").description("Validators and stake (staking_* methods).");

  withQueryOptions(
    staking
      .command("validators")
      .description("List validators: operator, moniker, bonded OPEN, voting power, active (in the set) or not, jail."),
    true,
  )
    .option("--status <status>", "active, jailed or all", "all")
    .action(
      action(async (opts: QueryOpts & { status: string }) => {
        // Passed on as given: the node checks the status (a wrong one is its invalid-params error, as before).
        const status = opts.status as QueryParams<"staking_getValidators">["status"];
        await runQuery(opts, "staking_getValidators", { status }, (page) =>
          printPage(page, validatorLine, "validators"),
        );
      }),
    );

  withQueryOptions(staking.command("validator <operator>").description("One validator by its operator address."))
    .action(
      action(async (operator: string, opts: QueryOpts) => {
        await runQuery(opts, "staking_getValidator", { address: operator }, printFields, {
          key: { validator: operator },
        });
      }),
    );

  withQueryOptions(
    staking
      .command("stake <delegator>")
      .description("What an address has staked, per validator (shares and their value now), and its unbonding."),
  )
    .option("--validator <operator>", "only the stake with this validator")
    .action(
      action(async (delegator: string, opts: QueryOpts & { validator?: string }) => {
        const params: QueryParams<"staking_getStake"> = { delegator };
        if (opts.validator !== undefined) params.validator = opts.validator;
        await runQuery(opts, "staking_getStake", params, (s) => {
          for (const x of s.stakes) {
            console.log(`staked ${open(x.value)} with ${x.validator} (${JSON.stringify(x.moniker)}, ${x.shares} shares)`);
          }
          for (const u of s.unbonding) {
            console.log(`unbonding ${open(u.amount)} from ${u.validator}, back at height ${u.completionHeight}`);
          }
          console.log(`total staked ${open(s.totalStaked)}, unbonding ${open(s.totalUnbonding)} (height ${s.height})`);
        }, opts.validator === undefined
          ? { notProvable: "a proof is of one delegation: add --validator <operator>" }
          : { key: { stake: { delegator, validator: opts.validator } } });
      }),
    );
}
