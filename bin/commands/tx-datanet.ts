import type { Command } from "commander";
import type { DatanetSettings } from "../../proto/module-msgs.ts";
import { action } from "../cli-util.ts";
import { collect, sendTx, type TxOpts, type TxSession, withTxOptions } from "./tx-send.ts";

interface SettingsOpts {
  description?: string;
  license?: string;
  curator?: string[];
  contributionStake?: string;
  reviewFee?: string;
  allowList?: boolean;
  contributor?: string[];
}

interface ContributeOpts extends TxOpts {
  datanet: string;
  uri: string;
  contentHash?: string;
  file?: string;
  size: string;
  metadata: string;
}

function withSettingsOptions(cmd: Command, update: boolean): Command {
  const replaces = update ? " (replaces the list; repeat for several)" : " (repeat for several)";
  cmd
    .option("--description <text>", "what the data is (up to 4096 bytes)")
    .option("--license <text>", "license of the data, e.g. CC-BY-4.0")
    .option("--curator <address>", `an address that may review, slash and publish${replaces}`, collect)
    .option("--contribution-stake <OPEN>", "OPEN a contributor locks per contribution until it is reviewed")
    .option("--review-fee <OPEN>", "OPEN a rejection takes out of that stake for the reviewer (<= the stake)")
    .option("--allow-list", "only the --contributor addresses may contribute")
    .option("--contributor <address>", `an address on the allow list${replaces}`, collect);
  if (update) {
    cmd
      .option("--no-allow-list", "anyone may contribute")
      .option("--clear-curators", "remove every curator (the owner still curates)")
      .option("--clear-contributors", "empty the allow list");
  }
  return cmd;
}

/** The settings of a create, or of an update: the current ones with the given flags changed. */
function settingsFrom(
  opts: SettingsOpts & { clearCurators?: boolean; clearContributors?: boolean },
  args: TxSession["args"],
  current: DatanetSettings,
): DatanetSettings {
  const list = (given: string[] | undefined, clear: boolean | undefined, now: Uint8Array[], flag: string) =>
    clear ? [] : given !== undefined ? args.parseAddresses(given, flag) : now;
  return {
    description: opts.description ?? current.description,
    license: opts.license ?? current.license,
    curators: list(opts.curator, opts.clearCurators, current.curators, "--curator"),
    contributionStake:
      opts.contributionStake === undefined ? current.contributionStake : args.parseOpen(opts.contributionStake),
    reviewFee: opts.reviewFee === undefined ? current.reviewFee : args.parseOpen(opts.reviewFee),
    allowListed: opts.allowList ?? current.allowListed,
    contributors: list(opts.contributor, opts.clearContributors, current.contributors, "--contributor"),
  };
}

const NO_SETTINGS: DatanetSettings = {
  description: "",
  license: "",
  curators: [],
  contributionStake: 0n,
  reviewFee: 0n,
  allowListed: false,
  contributors: [],
};

/** `opl tx datanet ...`: curated, versioned data sets. */
export function registerDatanetTx(tx: Command): void {
  const datanet = tx
    .command("datanet")
    .description(
      "Datanets: create one (you own it), change its settings, contribute data (locking its contribution " +
      "stake), review contributions (curators), slash accepted bad data, publish a version (a Merkle root " +
      "over the accepted contributions that models can name). With --wait --json, `id` is the new object's id.",
    );

  withSettingsOptions(
    datanet
      .command("create")
      .description("Create a datanet owned by --from. Prints its id with --wait.")
      .requiredOption("--name <name>", "datanet name (up to 128 bytes)"),
    false,
  ).action(
    action(async (opts: TxOpts & SettingsOpts & { name: string }) => {
      await sendTx(opts, ({ args }) => ({
        type: "create_datanet",
        name: opts.name,
        ...settingsFrom(opts, args, NO_SETTINGS),
      }));
    }),
  );

  withSettingsOptions(
    datanet
      .command("update")
      .description(
        "Change a datanet's settings (owner only). Reads the datanet from the node and changes only the " +
        "flags given.",
      )
      .requiredOption("--datanet <id>", "the datanet's id"),
    true,
  ).action(
    action(async (opts: TxOpts & SettingsOpts & { datanet: string; clearCurators?: boolean }) => {
      await sendTx(opts, async ({ args, client }) => {
        const datanetId = args.parseId(opts.datanet, "--datanet");
        const d = await client.datanet.get({ id: datanetId });
        const current: DatanetSettings = {
          description: d.description,
          license: d.license,
          curators: args.parseAddresses(d.curators, "curator"),
          contributionStake: BigInt(d.contributionStake),
          reviewFee: BigInt(d.reviewFee),
          allowListed: d.allowListed,
          contributors: args.parseAddresses(d.contributors, "contributor"),
        };
        return { type: "update_datanet", datanetId, ...settingsFrom(opts, args, current) };
      });
    }),
  );

  datanet
    .command("contribute")
    .description(
      "Contribute an item to a datanet: its content hash (or --file to hash), where it is, its size. Locks " +
      "the datanet's contribution stake until a curator reviews it.",
    )
    .requiredOption("--datanet <id>", "the datanet's id")
    .requiredOption("--uri <uri>", "where the data is (e.g. ipfs://..., https://...)")
    .option("--content-hash <hex>", "sha256 of the content, 64 hex characters")
    .option("--file <path>", "compute --content-hash and --size from this local file")
    .option("--size <bytes>", "size of the content in bytes", "0")
    .option("--metadata <json>", "JSON metadata (up to 4096 bytes)", "")
    .action(
      action(
        async (opts: ContributeOpts) => {
          await sendTx(opts, async ({ args }) => {
            let contentHash: Uint8Array;
            let sizeBytes = args.parseCount(opts.size, "--size");
            if (opts.file !== undefined) {
              const { readFileSync } = await import("node:fs");
              const { sha256 } = await import("../../crypto/hash.ts");
              const content = readFileSync(opts.file);
              contentHash = sha256(content);
              sizeBytes = content.byteLength;
            } else if (opts.contentHash !== undefined) {
              contentHash = args.parseHash(opts.contentHash, "--content-hash");
            } else {
              throw new Error("give --content-hash or --file");
            }
            return {
              type: "contribute",
              datanetId: args.parseId(opts.datanet, "--datanet"),
              contentHash,
              uri: opts.uri,
              sizeBytes,
              metadata: opts.metadata,
            };
          });
        },
      ),
    );

  datanet
    .command("review")
    .description(
      "Accept or reject a pending contribution (a curator or the owner). Accepting returns the stake and " +
      "numbers it in the datanet; rejecting returns the stake minus the review fee, which goes to you.",
    )
    .requiredOption("--contribution <id>", "the contribution's id")
    .option("--accept", "accept it")
    .option("--reject", "reject it")
    .action(
      action(async (opts: TxOpts & { contribution: string; accept?: boolean; reject?: boolean }) => {
        if (opts.accept === opts.reject) throw new Error("give exactly one of --accept or --reject");
        await sendTx(opts, ({ args }) => ({
          type: "review_contribution",
          contributionId: args.parseId(opts.contribution, "--contribution"),
          accept: opts.accept === true,
        }));
      }),
    );

  datanet
    .command("slash")
    .description(
      "Mark an accepted contribution as bad data (a curator or the owner): it earns nothing from then on; " +
      "versions already published keep it.",
    )
    .requiredOption("--contribution <id>", "the contribution's id")
    .option("--reason <text>", "why (goes into the event)", "")
    .action(
      action(async (opts: TxOpts & { contribution: string; reason: string }) => {
        await sendTx(opts, ({ args }) => ({
          type: "slash_contribution",
          contributionId: args.parseId(opts.contribution, "--contribution"),
          reason: opts.reason,
        }));
      }),
    );

  datanet
    .command("publish")
    .description(
      "Publish the next version of a datanet (a curator or the owner): the Merkle root over every " +
      "contribution accepted so far. Models name versions as DATANET_ID/VERSION.",
    )
    .requiredOption("--datanet <id>", "the datanet's id")
    .action(
      action(async (opts: TxOpts & { datanet: string }) => {
        await sendTx(opts, ({ args }) => ({ type: "publish_version", datanetId: args.parseId(opts.datanet, "--datanet") }));
      }),
    );
  // The shared options go last, so --help lists what is particular to each command first.
  for (const c of datanet.commands) withTxOptions(c);
}
