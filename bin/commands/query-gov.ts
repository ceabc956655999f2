import type { Command } from "commander";
import { action, CliError, parsePositiveInt } from "../cli-util.ts";
import { open, type Page, printFields, printPage, type QueryOpts, runQuery, withQueryOptions } from "./query-util.ts";

interface ProposalJson {
  id: number;
  title: string;
  kind: string;
  status: string;
  totalDeposit: string;
  depositEnd: number;
  votingEnd: number;
}

interface TallyJson {
  live: boolean;
  status: string;
  tally: { yes: string; abstain: string; no: string; noWithVeto: string };
  height: number;
}

function proposalLine(p: ProposalJson): string {
  const ends = p.status === "deposit_period" ? ` deposits until ${p.depositEnd}` : p.votingEnd > 0 ? ` vote ends ${p.votingEnd}` : "";
  return `${p.id} ${p.status} ${p.kind} ${JSON.stringify(p.title)} deposit ${open(p.totalDeposit)}${ends}`;
}

/** `opl query gov ...` */
export function registerGovQuery(query: Command): void {
  const gov = query.command("gov").description("Governance proposals, votes, deposits and tallies (gov_* methods).");

  withQueryOptions(gov.command("proposal <id>").description("One proposal: content, status, deposit, periods."), false, false)
    .action(
      action(async (id: string, opts: QueryOpts) => {
        await runQuery<Record<string, unknown>>(opts, "gov_getProposal", { id: Number(id) }, printFields);
      }),
    );

  withQueryOptions(gov.command("proposals").description("List proposals: id, status, kind, title, deposit."), true)
    .option("--status <status>", "deposit_period, voting_period, passed, rejected, vetoed, no_quorum, failed or dropped")
    .option("--proposer <address>", "only this proposer's")
    .action(
      action(async (opts: QueryOpts & { status?: string; proposer?: string }) => {
        const params: Record<string, unknown> = {};
        if (opts.status !== undefined) params.status = opts.status;
        if (opts.proposer !== undefined) params.proposer = opts.proposer;
        await runQuery<Page<ProposalJson>>(opts, "gov_listProposals", params, (page) =>
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
        type Vote = { proposalId: number; voter: string; option: string; validators: string[] };
        const line = (v: Vote) =>
          `${v.proposalId} ${v.voter} ${v.option}${v.validators.length > 0 ? ` with ${v.validators.join(",")}` : ""}`;
        await runQuery<Page<Vote>>(opts, "gov_getVotes", params, (page) => printPage(page, line, "votes"));
      }),
    );

  withQueryOptions(gov.command("deposits <id>").description("A proposal's deposits by depositor."), true)
    .action(
      action(async (id: string, opts: QueryOpts) => {
        type Deposit = { depositor: string; amount: string };
        await runQuery<Page<Deposit>>(opts, "gov_getDeposits", { proposalId: Number(id) }, (page) =>
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
        type Plan = { name: string; height: number; proposalId: number };
        type Answer = { plan: Plan | null; appliedAt?: number | null; height: number };
        const params = opts.name === undefined ? {} : { name: opts.name };
        await runQuery<Answer>(opts, "gov_getUpgradePlan", params, (a) => {
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
        await runQuery<TallyJson>(opts, "gov_getTally", { proposalId: Number(id) }, (t) => {
          console.log(`${t.live ? "live" : "final"} tally (${t.status}, height ${t.height}):`);
          console.log(`yes ${open(t.tally.yes)}, no ${open(t.tally.no)}, no with veto ${open(t.tally.noWithVeto)}, abstain ${open(t.tally.abstain)}`);
        });
      }),
    );
}
