import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

interface SubmitOpts extends TxOpts {
  title: string;
  description: string;
  deposit: string;
  param: string[];
  spendTo?: string;
  spendToDatanet?: string;
  amount?: string;
  upgrade?: string;
  upgradeHeight?: string;
  text?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const OPTIONS = ["yes", "abstain", "no", "no_with_veto"] as const;

/** `opl tx gov ...`: proposals, deposits and votes. */
export function registerGovTx(tx: Command): void {
  const gov = tx
    .command("gov")
    .description(
      "Governance: submit a proposal (one kind: --param, --spend-to, --spend-to-datanet, --upgrade, or --text) " +
      "with a deposit, add to a proposal's deposit, vote. Amounts in OPEN.",
    );

  gov
    .command("submit-proposal")
    .description(
      "Submit a proposal with a deposit. It goes to a vote once its deposits reach the chain's gov.minDeposit " +
      "within gov.depositPeriodBlocks.",
    )
    .requiredOption("--title <text>", "the proposal's title (up to 140 bytes)")
    .option("--description <text>", "what it is for (up to 4096 bytes)", "")
    .option("--deposit <OPEN>", "OPEN deposited from --from's balance now", "0")
    .option("--param <key=value>", "a parameter change, e.g. attribution.protocolSharePpm=120000 (repeatable)", collect, [])
    .option("--spend-to <address>", "a treasury spend of --amount to this address")
    .option("--spend-to-datanet <id/version>", "a treasury spend of --amount shared by that version's contributors")
    .option("--amount <OPEN>", "the amount a spend moves out of the treasury")
    .option("--upgrade <name>", "a software upgrade named so, at --upgrade-height")
    .option("--upgrade-height <height>", "the height the upgrade takes effect at")
    .option("--text", "a text proposal: a signal with no effect")
    .action(
      action(async (opts: SubmitOpts) => {
        await sendTx(opts, ({ args }) => {
          const kinds = [opts.param.length > 0, opts.spendTo, opts.spendToDatanet, opts.upgrade, opts.text];
          if (kinds.filter(Boolean).length !== 1) {
            throw new Error("name exactly one kind: --param, --spend-to, --spend-to-datanet, --upgrade or --text");
          }
          const amount = () => {
            if (opts.amount === undefined) throw new Error("a spend needs --amount");
            return args.parseOpen(opts.amount);
          };
          let content: import("../../proto/gov-msgs.ts").ProposalContent = { kind: "text" };
          if (opts.param.length > 0) {
            content = {
              kind: "params",
              changes: opts.param.map((p) => {
                const at = p.indexOf("=");
                if (at <= 0) throw new Error(`--param ${p}: expected key=value, e.g. attribution.protocolSharePpm=120000`);
                return { key: p.slice(0, at), value: p.slice(at + 1) };
              }),
            };
          } else if (opts.spendTo !== undefined) {
            content = { kind: "spend", to: args.parseAddress(opts.spendTo, "--spend-to"), amount: amount() };
          } else if (opts.spendToDatanet !== undefined) {
            content = { kind: "spend_datanet", ...args.parseRef(opts.spendToDatanet, "--spend-to-datanet"), amount: amount() };
          } else if (opts.upgrade !== undefined) {
            if (opts.upgradeHeight === undefined) throw new Error("an upgrade needs --upgrade-height");
            content = { kind: "upgrade", name: opts.upgrade, height: args.parseId(opts.upgradeHeight, "--upgrade-height") };
          }
          return {
            type: "submit_proposal",
            title: opts.title,
            description: opts.description,
            deposit: args.parseOpen(opts.deposit),
            content,
          };
        });
      }),
    );

  gov
    .command("deposit <proposal-id>")
    .description("Add OPEN to a proposal's deposit, during its deposit period.")
    .requiredOption("--amount <OPEN>", "amount in OPEN")
    .action(
      action(async (id: string, opts: TxOpts & { amount: string }) => {
        await sendTx(opts, ({ args }) => ({
          type: "deposit",
          proposalId: args.parseId(id, "proposal id"),
          amount: args.parseOpen(opts.amount),
        }));
      }),
    );

  gov
    .command("vote <proposal-id> <option>")
    .description(
      "Vote yes, abstain, no or no_with_veto; a later vote replaces it until the vote ends. A validator's " +
      "operator votes for its whole bond; --from's own stake votes with this vote at every validator it is " +
      "staked with (found through staking_getStake), instead of following that validator's vote.",
    )
    .option("--validator <operator>", "only the stake with these validators (repeatable)", collect, [])
    .action(
      action(async (id: string, option: string, opts: TxOpts & { validator: string[] }) => {
        if (!(OPTIONS as readonly string[]).includes(option)) {
          throw new Error(`option must be one of ${OPTIONS.join(", ")}, got ${JSON.stringify(option)}`);
        }
        await sendTx(opts, async ({ args, client, key }) => {
          let validators = opts.validator.map((v) => args.parseAddress(v, "--validator"));
          if (validators.length === 0) {
            const stake = await client.staking.getStake({ delegator: key.address });
            // Its own validator's bond is voted as the operator's; the stake elsewhere is named.
            validators = stake.stakes.filter((s) => s.validator !== key.address).map((s) => args.parseAddress(s.validator, "validator"));
          }
          return {
            type: "vote",
            proposalId: args.parseId(id, "proposal id"),
            option: option as (typeof OPTIONS)[number],
            validators,
          };
        });
      }),
    );
  for (const c of gov.commands) withTxOptions(c);
}
