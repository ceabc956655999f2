import type { Command } from "commander";
import { action, CliError, parsePositiveInt } from "../cli-util.ts";
import type { ResultOf } from "../../rpc/typed-client.ts";
import { open, printFields, printPage, type QueryOpts, type QueryParams, runQuery, withQueryOptions } from "./query-util.ts";

type ProposalItem = ResultOf<"gov_listProposals">["items"][number];

function proposalLine(p: ProposalItem): string {
  const ends = p.status === "deposit_period" ? ` deposits until ${p.depositEnd}` : p.votingEnd > 0 ? ` vote ends ${p.votingEnd}` : "";
  return `${p.id} ${p.status} ${p.kind} ${JSON.stringify(p.title)} deposit ${open(p.totalDeposit)}${ends}`;
}

/** `opl query gov ...` */
export function registerGovQuery(query: Command): void {
  const gov = query.command("gov").description("Governance proposals, votes, deposits and tallies (gov_* methods).");

  withQueryOptions(gov.command("proposal <id>").description("One proposal: content, status, deposit, periods."), false, false)
    .action(
      action(async (id: string, opts: QueryOpts) => {
        await runQuery(opts, "gov_getProposal", { id: Number(id) }, printFields);
      }),
    );

  withQueryOptions(gov.command("proposals").description("List proposals: id, status, kind, title, deposit."), true)
    .option("--status <status>", "deposit_period, voting_period, passed, rejected, vetoed, no_quorum, failed or dropped")
    .option("--proposer <address>", "only this proposer's")
    .action(
      action(async (opts: QueryOpts & { status?: string; proposer?: string }) => {
        const params: QueryParams<"gov_listProposals"> = {};
        // Passed on as given: the node checks the status (a wrong one is its invalid-params error, as before).
        if (opts.status !== undefined) params.status = opts.status as typeof params.status;
        if (opts.proposer !== undefined) params.proposer = opts.proposer;
        await runQuery(opts, "gov_listProposals", params, (page) =>
          printPage(page, proposalLine, "proposals"),
        );
      }),
    );

  withQueryOptions(
    gov.command("votes [id]").description("Votes: a proposal's (by voter), or with --voter one address's (by proposal)."),
    true,
  )
    .option("--voter <address>", "this voter's votes on every proposal, instead of one proposal's votes")
    .action(
      action(async (id: string | undefined, opts: QueryOpts & { voter?: string }) => {
        if ((id === undefined) === (opts.voter === undefined))
          throw new CliError("USAGE", "give a proposal id or --voter ADDRESS (one of them)");
        const params = opts.voter !== undefined ? { voter: opts.voter } : { proposalId: parsePositiveInt(id as string, "id") };
        const line = (v: ResultOf<"gov_getVotes">["items"][number]) =>
          `${v.proposalId} ${v.voter} ${v.option}${v.validators.length > 0 ? ` with ${v.validators.join(",")}` : ""}`;
        await runQuery(opts, "gov_getVotes", params, (page) => printPage(page, line, "votes"));
      }),
    );

  withQueryOptions(gov.command("deposits <id>").description("A proposal's deposits by depositor."), true)
    .action(
      action(async (id: string, opts: QueryOpts) => {
        await runQuery(opts, "gov_getDeposits", { proposalId: Number(id) }, (page) =>
          printPage(page, (d) => `${d.depositor} ${open(d.amount)}`, "deposits"),
        );
      }),
    );

  withQueryOptions(
    gov.command("upgrade-plan").description(
      "The software upgrade the chain waits for (gov_getUpgradePlan): name, height, proposal; none once applied or skipped.",
    ),
    false,
    false,
  )
    .option("--name <name>", "also the height this upgrade was applied at (or that it never was)")
    .action(
      action(async (opts: QueryOpts & { name?: string }) => {
        const params = opts.name === undefined ? {} : { name: opts.name };
        await runQuery(opts, "gov_getUpgradePlan", params, (a) => {
          console.log(a.plan === null
            ? `no upgrade pending (height ${a.height})`
            : `upgrade ${a.plan.name} at height ${a.plan.height} (proposal ${a.plan.proposalId})`);
          if (opts.name !== undefined) {
            console.log(a.appliedAt === null || a.appliedAt === undefined
              ? `${opts.name} was never applied`
              : `${opts.name} was applied at height ${a.appliedAt}`);
          }
        });
      }),
    );

  withQueryOptions(gov.command("tally <id>").description("A proposal's tally: live while voting, final after."), false, false)
    .action(
      action(async (id: string, opts: QueryOpts) => {
        await runQuery(opts, "gov_getTally", { proposalId: Number(id) }, (t) => {
          console.log(`${t.live ? "live" : "final"} tally (${t.status}, height ${t.height}):`);
          console.log(`yes ${open(t.tally.yes)}, no ${open(t.tally.no)}, no with veto ${open(t.tally.noWithVeto)}, abstain ${open(t.tally.abstain)}`);
        });
      }),
    );
}
