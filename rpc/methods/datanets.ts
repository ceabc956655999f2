import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { equalBytes, readU64be, toHex } from "../../crypto/bytes.ts";
import { merkleProof, merkleRootOfHashes, verifyMerkleProof } from "../../crypto/merkle.ts";
import { type Contribution, datanetCodec } from "../../proto/module-records.ts";
import { idKey, MODULE_PREFIX, stateKey } from "../../state/keys.ts";
import {
  acceptedContributionId,
  contributionInVersion,
  getContribution,
  getDatanet,
  getDatanetVersion,
} from "../../state/modules/datanets.ts";
import type { StateReader } from "../../state/view.ts";
import { appError } from "../errors.ts";
import { method } from "../method.ts";
import { idSchema, pageParams } from "../module-schemas.ts";
import { recordView } from "../module-views.ts";
import { addressSchema, heightSchema } from "../schemas.ts";
import { listAt, readAt } from "../state-query.ts";

const ID_BYTES = 8;

/**
 * A version's leaves: the content hashes of the first `count` accepted contributions. Missing entries are
 * skipped rather than thrown on, because at a past height readAt runs this first with nothing fetched yet;
 * the caller checks the count once the read is complete.
 */
function versionLeaves(view: StateReader, datanetId: number, count: number): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const id = acceptedContributionId(view, datanetId, i);
    const c = id === undefined ? undefined : getContribution(view, id);
    if (c !== undefined) leaves.push(c.contentHash);
  }
  return leaves;
}

export const datanetMethods = [
  method({
    name: "datanet_get",
    description: "One datanet by id: owner, settings, and counts of contributions, accepted ones and versions.",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getDatanet(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `datanet ${p.id} does not exist`);
      return { ...recordView(value), height };
    },
  }),
  method({
    name: "datanet_list",
    description: "Datanets by id, a page at a time; owner filters.",
    params: z.strictObject({ owner: addressSchema.optional(), ...pageParams }),
    handler: (p, ctx) => {
      const owner = p.owner === undefined ? undefined : decodeAddress(p.owner);
      return listAt(ctx, {
        prefix: MODULE_PREFIX.datanet,
        idLength: ID_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (_id, value) => {
          const d = datanetCodec.decode(value);
          return owner === undefined || equalBytes(d.owner, owner) ? recordView(d) : undefined;
        },
      });
    },
  }),
  method({
    name: "datanet_getContributions",
    description:
      "Contributions of a datanet, or of a contributor (when only contributor is given), by id, a page at a " +
      "time; status (pending, accepted, rejected, slashed) and contributor filter.",
    params: z
      .strictObject({
        datanetId: idSchema("datanetId").optional(),
        status: z.enum(["pending", "accepted", "rejected", "slashed"]).optional(),
        contributor: addressSchema.optional(),
        ...pageParams,
      })
      .refine((p) => p.datanetId !== undefined || p.contributor !== undefined, "give datanetId or contributor"),
    handler: async (p, ctx) => {
      const contributor = p.contributor === undefined ? undefined : decodeAddress(p.contributor);
      if (p.datanetId !== undefined) {
        const id = p.datanetId;
        const { value } = await readAt(ctx, p.height, (view) => getDatanet(view, id));
        if (value === undefined) throw appError("NOT_FOUND", `datanet ${id} does not exist`);
      }
      const prefix = p.datanetId !== undefined
        ? stateKey(MODULE_PREFIX.contributionsByDatanet, idKey(p.datanetId))
        : stateKey(MODULE_PREFIX.contributionsByContributor, contributor as Uint8Array);
      const keep = (c: Contribution | undefined): c is Contribution =>
        c !== undefined &&
        (p.status === undefined || c.status === p.status) &&
        (contributor === undefined || equalBytes(c.contributor, contributor));
      return listAt(ctx, {
        prefix,
        idLength: ID_BYTES,
        height: p.height,
        cursor: p.cursor,
        limit: p.limit,
        select: async (id, _value, height) => {
          const { value: c } = await readAt(ctx, height, (view) => getContribution(view, readU64be(id)));
          return keep(c) ? recordView(c) : undefined;
        },
      });
    },
  }),
  method({
    name: "datanet_getContribution",
    description: "One contribution by id.",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional() }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getContribution(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `contribution ${p.id} does not exist`);
      return { ...recordView(value), height };
    },
  }),
  method({
    name: "datanet_getVersion",
    description: "A published version of a datanet: its Merkle root over the first `count` accepted contributions.",
    params: z.strictObject({
      datanetId: idSchema("datanetId"),
      version: idSchema("version"),
      height: heightSchema.optional(),
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        datanet: getDatanet(view, p.datanetId),
        version: getDatanetVersion(view, p.datanetId, p.version),
      }));
      if (value.datanet === undefined) throw appError("NOT_FOUND", `datanet ${p.datanetId} does not exist`);
      if (value.version === undefined) {
        throw appError("NOT_FOUND", `datanet ${p.datanetId} has no version ${p.version}`, {
          versions: value.datanet.versionCount,
        });
      }
      return { ...recordView(value.version), height };
    },
  }),
  method({
    name: "datanet_proveMembership",
    description:
      "A Merkle proof that a contribution is in a published datanet version: its content hash is leaf `index` " +
      "of `count`, and the sibling hashes (bottom first) lead to the version's root.",
    params: z.strictObject({
      datanetId: idSchema("datanetId"),
      version: idSchema("version"),
      contributionId: idSchema("contributionId"),
      height: heightSchema.optional(),
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => {
        const version = getDatanetVersion(view, p.datanetId, p.version);
        return {
          datanet: getDatanet(view, p.datanetId),
          version,
          contribution: getContribution(view, p.contributionId),
          leaves: version === undefined ? [] : versionLeaves(view, p.datanetId, version.count),
        };
      });
      const { datanet, version, contribution: c, leaves } = value;
      if (datanet === undefined) throw appError("NOT_FOUND", `datanet ${p.datanetId} does not exist`);
      if (version === undefined) throw appError("NOT_FOUND", `datanet ${p.datanetId} has no version ${p.version}`);
      if (c === undefined) throw appError("NOT_FOUND", `contribution ${p.contributionId} does not exist`);
      if (!contributionInVersion(c, version)) {
        throw appError(
          "NOT_FOUND",
          `contribution ${c.id} is not in datanet ${p.datanetId} version ${p.version} (it is ${c.status}, ` +
          `datanet ${c.datanetId})`,
        );
      }
      // The leaves are re-read from state; a root that differs is corrupt state, not a caller's mistake.
      if (leaves.length !== version.count || !equalBytes(merkleRootOfHashes(leaves), version.root)) {
        throw new Error(`datanet ${p.datanetId} version ${p.version}: the accepted contributions do not hash to its root`);
      }
      const proof = merkleProof(leaves, c.acceptIndex);
      return {
        datanetId: p.datanetId,
        version: p.version,
        contributionId: c.id,
        contentHash: toHex(c.contentHash),
        index: c.acceptIndex,
        count: version.count,
        root: toHex(version.root),
        proof: proof.map(toHex),
        verified: verifyMerkleProof(c.contentHash, c.acceptIndex, version.count, proof, version.root),
        height,
      };
    },
  }),
];
