import type { Command } from "commander";
import { action } from "../cli-util.ts";
import { sendTx, type TxOpts, withTxOptions } from "./tx-send.ts";

/** `opl tx staking ...`: validators and the stake bonded to them. */
export function registerStakingTx(tx: Command): void {
  const staking = tx
    .command("staking")
    .description(
      "Validators and stake: create a validator, stake to one or unstake (funds return after the unbonding " +
      "period), unjail a validator jailed for downtime. Amounts in OPEN.",
    );

  staking
    .command("create-validator")
    .description(
      "Create a validator operated by --from, bonding its self-stake. Its consensus key (the validator key " +
      "file, by default --home's validator_key.json) signs blocks, and here signs that it belongs to --from " +
      "(proof of possession). It joins the validator set two blocks after it has enough stake.",
    )
    .requiredOption("--self-stake <OPEN>", "OPEN to bond from --from's balance (at least the chain's minSelfStake)")
    .requiredOption("--moniker <name>", "the validator's display name (up to 64 bytes)")
    .option("--validator-key <path>", "the validator (consensus) key file (default: --home's validator_key.json)")
    .action(
      action(async (opts: TxOpts & { selfStake: string; moniker: string; validatorKey?: string }) => {
        await sendTx(opts, async ({ args, key, chainId }) => {
          const { decodeAddress } = await import("../../crypto/address.ts");
          const { possessionSignBytes } = await import("../../state/modules/staking/staking.ts");
          const consensus = await consensusKey(opts.home, opts.validatorKey);
          return {
            type: "create_validator",
            consensusPubkey: consensus.publicKey,
            moniker: opts.moniker,
            selfStake: args.parseOpen(opts.selfStake),
            consensusSignature: consensus.sign(possessionSignBytes(chainId, decodeAddress(key.address))),
          };
        });
      }),
    );

  for (const [name, type, text] of [
    ["stake", "stake", "Bond OPEN from --from's balance to a validator (buys shares of its stake)."],
    ["unstake", "unstake", "Start unbonding OPEN staked with a validator; it returns to the balance after unbondingBlocks."],
  ] as const) {
    staking.command(name).description(text)
      .requiredOption("--validator <address>", "the validator's operator address (opl1...)")
      .requiredOption("--amount <OPEN>", "amount in OPEN")
      .action(
        action(async (opts: TxOpts & { validator: string; amount: string }) => {
          await sendTx(opts, ({ args }) => ({
            type,
            validator: args.parseAddress(opts.validator, "--validator"),
            amount: args.parseOpen(opts.amount),
          }));
        }),
      );
  }

  staking
    .command("unjail")
    .description("Unjail the validator --from operates, once its downtime jail period is over.").action(
      action(async (opts: TxOpts) => {
        await sendTx(opts, () => ({ type: "unjail" }));
      }),
    );
  // The shared options go last, so --help lists what is particular to each command first.
  for (const c of staking.commands) withTxOptions(c);
}

async function consensusKey(home: string, path: string | undefined) {
  const { homePaths } = await import("../../node/config.ts");
  const { loadValidatorKey } = await import("../../node/validator-key.ts");
  return loadValidatorKey(path ?? homePaths(home).validatorKey);
}
