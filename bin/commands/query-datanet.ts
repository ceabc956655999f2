import type { Command } from "commander";
import { fromHex } from "../../crypto/bytes.ts";
import { verifyMerkleProof } from "../../crypto/merkle.ts";
import { action, parsePositiveInt } from "../cli-util.ts";
import type { ResultOf } from "../../rpc/typed-client.ts";
import {
  open,
  printFields,
  printPage,
  type QueryOpts,
  type QueryParams,
  runQuery,
  withQueryOptions,
} from "./query-util.ts";

type MembershipProof = ResultOf<"datanet_proveMembership">;

const bytes = (hex: string) => fromHex(hex) ?? new Uint8Array(0);

/** `opl query datanet ...` */
export function registerDatanetQuery(query: Command): void {
  const datanet = query.command("datanet").description("Datanets, contributions, versions, proofs (datanet_* methods).");

  withQueryOptions(datanet.command("get <id>").description("One datanet: owner, settings, counts.")).action(
    action(async (id: string, opts: QueryOpts) => {
      const datanet = parsePositiveInt(id, "id");
      await runQuery(opts, "datanet_get", { id: datanet }, printFields, { key: { datanet } });
    }),
  );

  withQueryOptions(datanet.command("list").description("List datanets by id."), true)
    .option("--owner <address>", "only this owner's")
    .action(
      action(async (opts: QueryOpts & { owner?: string }) => {
        const params = opts.owner === undefined ? {} : { owner: opts.owner };
        await runQuery(opts, "datanet_list", params, (page) =>
          printPage(
            page,
            (d) =>
              `#${d.id} ${JSON.stringify(d.name)} owner ${d.owner}: ${d.contributionCount} contributions, ` +
              `${d.acceptedCount} accepted, ${d.versionCount} versions`,
            "datanets",
          ),
        );
      }),
    );

  withQueryOptions(
    datanet
      .command("contributions")
      .description("List the contributions of a datanet (--datanet) or of a contributor (--contributor alone)."),
    true,
  )
    .option("--datanet <id>", "the datanet's id")
    .option("--contributor <address>", "only this contributor's")
    .option("--status <status>", "pending, accepted, rejected or slashed")
    .action(
      action(async (opts: QueryOpts & { datanet?: string; contributor?: string; status?: string }) => {
        const params: QueryParams<"datanet_getContributions"> = {};
        if (opts.datanet !== undefined) params.datanetId = parsePositiveInt(opts.datanet, "--datanet");
        if (opts.contributor !== undefined) params.contributor = opts.contributor;
        // Passed on as given: the node checks the status (a wrong one is its invalid-params error, as before).
        if (opts.status !== undefined) params.status = opts.status as typeof params.status;
        await runQuery(opts, "datanet_getContributions", params, (page) =>
          printPage(
            page,
            (c) =>
              `#${c.id} datanet ${c.datanetId} ${c.status} contributor ${c.contributor} content ${c.contentHash} ` +
              `${c.uri}${c.status === "pending" ? ` stake ${open(c.stake)}` : ""}`,
            "contributions",
          ),
        );
      }),
    );

  withQueryOptions(
    datanet.command("version <datanetId> <version>").description("A published version: root, count, height."),
  ).action(
    action(async (datanetId: string, version: string, opts: QueryOpts) => {
      const params = { datanetId: parsePositiveInt(datanetId, "datanetId"), version: parsePositiveInt(version, "version") };
      await runQuery(opts, "datanet_getVersion", params, printFields, { key: { datanetVersion: params } });
    }),
  );

  withQueryOptions(
    datanet
      .command("prove <datanetId> <version> <contributionId>")
      .description(
        "A Merkle proof that a contribution is in a published version, checked here against the version's root " +
        "(--prove: and the version and contribution records against a signed header).",
      ),
  ).action(
    action(async (datanetId: string, version: string, contributionId: string, opts: QueryOpts) => {
      const asked = {
        datanetId: parsePositiveInt(datanetId, "datanetId"),
        version: parsePositiveInt(version, "version"),
        contributionId: parsePositiveInt(contributionId, "contributionId"),
      };
      const print = (p: MembershipProof) => {
        // Checked here before anything is printed (without --prove, against the records as the node decoded them).
        checkMembership(p, asked, [p.versionProof.value, p.contributionProof.value]);
        console.log(
          `contribution ${asked.contributionId} is leaf ${p.index} of ${p.count} in datanet ${asked.datanetId} ` +
          `version ${asked.version} (published at height ${p.height})`,
        );
        console.log(`content hash: ${p.contentHash}`);
        console.log(`root:         ${p.root}`);
        console.log(`proof:        ${p.proof.length === 0 ? "(none: the only leaf is the root)" : p.proof.join(" ")}`);
        console.log("checked here: the proof leads from the content hash to the root");
        if (opts.prove !== true) {
          console.log(
            `the root is the version record's, proved at height ${p.versionProof.height} against state root ` +
            `${p.versionProof.stateRoot} (add --prove to check that proof here with the light client)`,
          );
        }
      };
      await runQuery(opts, "datanet_proveMembership", asked, print, {
        via: {
          proofs: [
            { field: "versionProof", key: { datanetVersion: { datanetId: asked.datanetId, version: asked.version } } },
            { field: "contributionProof", key: { contribution: asked.contributionId } },
          ],
          check: (p, proven) => checkMembership(p, asked, proven),
        },
      });
    }),
  );
}

/**
 * Throws unless the membership answer holds together: it is about the contribution asked for, its proof leads
 * from the content hash to the root, the version record holds that root and count, and the contribution
 * record is of that datanet, was accepted (or slashed after), and has that content hash at that index.
 */
function checkMembership(
  p: MembershipProof,
  asked: { datanetId: number; version: number; contributionId: number },
  [version, contribution]: unknown[],
): void {
  if (p.contributionId !== asked.contributionId)
    throw new Error(`the answer is about contribution ${p.contributionId}, not ${asked.contributionId}`);
  if (!verifyMerkleProof(bytes(p.contentHash), p.index, p.count, p.proof.map(bytes), bytes(p.root)))
    throw new Error("the proof does NOT lead from the content hash to the root");
  const v = version as { root?: string; count?: number } | null;
  if (v?.root !== p.root || v.count !== p.count)
    throw new Error("the version record does not hold the root and count of this membership proof");
  const c = contribution as { datanetId?: number; status?: string; contentHash?: string; acceptIndex?: number } | null;
  if (c === null || c.datanetId !== asked.datanetId || (c.status !== "accepted" && c.status !== "slashed"))
    throw new Error(`contribution ${asked.contributionId} is not an accepted contribution of datanet ${asked.datanetId}`);
  if (c.contentHash !== p.contentHash || c.acceptIndex !== p.index)
    throw new Error(`the contribution record's content hash and index are not the ones this membership proof proves`);
}
