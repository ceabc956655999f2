import { z } from "zod";
import { decodeAddress } from "../../crypto/address.ts";
import { equalBytes, readU64be, toHex } from "../../crypto/bytes.ts";
import { MerkleTree, verifyMerkleProof } from "../../crypto/merkle.ts";
import { type Contribution, datanetCodec, type DatanetVersion } from "../../proto/module-records.ts";
import { TxError } from "../../state/errors.ts";
import {
  acceptedContributionId,
  contributionInVersion,
  getContribution,
  getDatanet,
  getDatanetVersion,
} from "../../state/modules/datanets/datanets.ts";
import { datanetScans } from "../../state/modules/datanets/scans.ts";
import type { StateReader } from "../../state/view.ts";
import type { RpcContext } from "../context.ts";
import { appError, fromTxError } from "../errors.ts";
import { method } from "../method.ts";
import { idSchema, pageParams } from "../module-schemas.ts";
import { recordView } from "../module-views.ts";
import { addressSchema, countOut, hashHex, heightOut, heightSchema, idOut, pageOf } from "../schemas.ts";
import { contributionOut, datanetOut } from "../module-result-schemas.ts";
import { proofField, stateProofOut } from "../result-schemas.ts";
import { listAt, readAt } from "../state-query.ts";
import { proveParam, stateProofAnswer, withProof } from "../state-proof-answer.ts";

const ID_BYTES = 8;

/** The largest version datanet_proveMembership builds a tree for (its levels take ~64 bytes a leaf). */
export const MAX_PROOF_LEAVES = 1_000_000;

/**
 * Leaves of a proof tree built per key of rpc.max_request_work. Building reads two keys a leaf (its accepted
 * id, its contribution) and hashes it, so a leaf is work; it is counted at a tenth because the tree is then
 * cached for every later proof of that version, and so that a version of the largest size (MAX_PROOF_LEAVES:
 * 100,000 keys) stays provable in one request under the default budget (100,000). A batch rotating over
 * versions that do not fit the cache is then stopped after about one such build, not after a thousand.
 */
export const PROOF_LEAVES_PER_WORK_KEY = 10;

/** The work a build of a version's tree of `leaves` leaves is counted as. */
export function proofBuildWork(leaves: number): number {
  return Math.ceil(leaves / PROOF_LEAVES_PER_WORK_KEY);
}

/**
 * Built trees of datanet versions, least recently used first out. A version never changes once published, so
 * a tree never goes stale, and proving another leaf of a cached version costs O(log n) instead of reading and
 * hashing every leaf again. At most `maxTrees` trees and `maxLeaves` leaves in all (memory: ~64 bytes a leaf).
 */
export class VersionTreeCache {
  private readonly trees = new Map<string, MerkleTree>(); // Map order: least recently used first
  /** Builds under way: a second request for the same version waits for the first instead of building it too. */
  private readonly building = new Map<string, Promise<MerkleTree>>();
  private leaves = 0;
  builds = 0;
  readonly maxTrees: number;
  readonly maxLeaves: number;

  constructor(maxTrees = 8, maxLeaves = 2 * MAX_PROOF_LEAVES) {
    this.maxTrees = maxTrees;
    this.maxLeaves = maxLeaves;
  }

  /** The tree of a version; `leafAt` reads its leaves if it has to be built. */
  tree(v: DatanetVersion, leafAt: (index: number) => Uint8Array): MerkleTree {
    const kept = this.cached(v);
    if (kept !== undefined) return this.keep(v, kept);
    this.builds++;
    return this.keep(v, MerkleTree.build(v.count, leafAt));
  }

  /**
   * The same, building a missing tree a slice at a time (MerkleTree.buildPaced): an RPC must not stall.
   * `chargeBuild` is called with the work of the build (proofBuildWork) before this call builds a tree (not when it is cached or
   * built by another request meanwhile, which this call waits for): it throws to refuse the build.
   */
  async treePaced(
    v: DatanetVersion,
    leafAt: (index: number) => Uint8Array,
    pace: () => Promise<void>,
    chargeBuild: (work: number) => void,
  ): Promise<MerkleTree> {
    const id = `${v.datanetId}/${v.version}`;
    for (;;) {
      const kept = this.cached(v);
      if (kept !== undefined) return this.keep(v, kept);
      const pending = this.building.get(id);
      if (pending === undefined) break;
      try {
        return this.keep(v, await pending);
      } catch {
        // That build was given up (its client left, or it ran out of budget): this request builds it itself.
        await pace();
      }
    }
    chargeBuild(proofBuildWork(v.count));
    this.builds++;
    const build = MerkleTree.buildPaced(v.count, leafAt, pace);
    this.building.set(id, build);
    build.catch(() => {}); // the waiters see the failure; this call rethrows it below
    try {
      return this.keep(v, await build);
    } finally {
      this.building.delete(id);
    }
  }

  /** A version's tree if kept (and then taken out: `keep` puts it back as the most recently used). */
  private cached(v: DatanetVersion): MerkleTree | undefined {
    if (v.count > MAX_PROOF_LEAVES) {
      throw fromTxError(new TxError(
        "LIMIT_EXCEEDED",
        `datanet ${v.datanetId} version ${v.version} has ${v.count} contributions; this node proves membership ` +
        `in versions of at most ${MAX_PROOF_LEAVES}`,
      ));
    }
    const id = `${v.datanetId}/${v.version}`;
    const tree = this.trees.get(id);
    if (tree !== undefined) {
      this.trees.delete(id);
      this.leaves -= tree.count;
    }
    return tree;
  }

  /** Keeps a version's tree as the most recently used, dropping the least recently used past the limits. */
  private keep(v: DatanetVersion, tree: MerkleTree): MerkleTree {
    const id = `${v.datanetId}/${v.version}`;
    const before = this.trees.get(id); // another request built it meanwhile (builds are paced, not atomic)
    if (before !== undefined) {
      this.trees.delete(id);
      this.leaves -= before.count;
    }
    this.trees.set(id, tree);
    this.leaves += tree.count;
    for (const [oldest, t] of this.trees) {
      if (this.trees.size <= this.maxTrees && this.leaves <= this.maxLeaves) break;
      if (oldest === id) break; // never the one being returned
      this.trees.delete(oldest);
      this.leaves -= t.count;
    }
    return tree;
  }

  get size(): number {
    return this.trees.size;
  }
}

/** One cache per node (its database), so nodes sharing a process never share trees. */
const treeCaches = new WeakMap<object, VersionTreeCache>();

export function versionTreeCache(ctx: RpcContext): VersionTreeCache {
  let cache = treeCaches.get(ctx.db);
  if (cache === undefined) treeCaches.set(ctx.db, (cache = new VersionTreeCache()));
  return cache;
}

/**
 * Leaf `index` of a datanet's versions: the content hash of its index-th accepted contribution. Read from the
 * latest state whatever height is asked: acceptances and contributions' content hashes are never undone or
 * changed, so the first `count` leaves of a version are the same at every height that has the version.
 */
function leafReader(view: StateReader, datanetId: number): (index: number) => Uint8Array {
  return (index) => {
    const id = acceptedContributionId(view, datanetId, index);
    const c = id === undefined ? undefined : getContribution(view, id);
    // The version's count and the accepted keys were written together: a gap is corrupt state.
    if (c === undefined) throw new Error(`datanet ${datanetId} has no accepted contribution at index ${index}`);
    return c.contentHash;
  };
}

/** What a client that does not trust this node must check of a datanet_proveMembership answer. */
const MEMBERSHIP_CLIENT_CHECKS = [
  "versionProof.commit is signed by more than 2/3 of the validator set of versionProof.height (light_getBlock), " +
  "and versionProof.header hashes to versionProof.headerHash",
  "versionProof.proof proves versionProof.valueBytes at versionProof.key (the dn/ver/ key of this datanet and " +
  "version) against versionProof.header.stateRoot",
  "the record decoded from versionProof.valueBytes has this root and count",
  "contributionProof, checked the same way, proves the contribution record, whose contentHash and acceptIndex are " +
  "contentHash and index (and whose datanetId is this datanet)",
  "proof (siblings bottom first) leads from contentHash at index to root (crypto/merkle.ts verifyMerkleProof)",
];

export const datanetMethods = [
  method({
    name: "datanet_get",
    description:
      "One datanet by id: owner, settings, and counts of contributions, accepted ones and versions (prove: true " +
      "adds its state proof, as every get by id does).",
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional(), ...proveParam }),
    result: datanetOut.extend({ height: heightOut, ...proofField }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getDatanet(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `datanet ${p.id} does not exist`);
      return withProof(ctx, { ...recordView(value), height }, p.prove, { datanet: p.id });
    },
  }),
  method({
    name: "datanet_list",
    description: "Datanets by id, a page at a time; owner filters.",
    params: z.strictObject({ owner: addressSchema.optional(), ...pageParams }),
    result: pageOf(datanetOut),
    handler: (p, ctx) => {
      const owner = p.owner === undefined ? undefined : decodeAddress(p.owner);
      return listAt(ctx, {
        prefix: datanetScans.all(),
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
    result: pageOf(contributionOut),
    handler: async (p, ctx) => {
      const contributor = p.contributor === undefined ? undefined : decodeAddress(p.contributor);
      if (p.datanetId !== undefined) {
        const id = p.datanetId;
        const { value } = await readAt(ctx, p.height, (view) => getDatanet(view, id));
        if (value === undefined) throw appError("NOT_FOUND", `datanet ${id} does not exist`);
      }
      const prefix = p.datanetId !== undefined
        ? datanetScans.contributionsOf(p.datanetId)
        : datanetScans.contributionsBy(contributor as Uint8Array);
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
    params: z.strictObject({ id: idSchema("id"), height: heightSchema.optional(), ...proveParam }),
    result: contributionOut.extend({ height: heightOut, ...proofField }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => getContribution(view, p.id));
      if (value === undefined) throw appError("NOT_FOUND", `contribution ${p.id} does not exist`);
      return withProof(ctx, { ...recordView(value), height }, p.prove, { contribution: p.id });
    },
  }),
  method({
    name: "datanet_getVersion",
    description:
      "A published version of a datanet: its Merkle root over the first `count` accepted contributions, and the " +
      "height it was published at (queriedHeight: the height of the state read).",
    params: z.strictObject({
      datanetId: idSchema("datanetId"),
      version: idSchema("version"),
      height: heightSchema.optional(),
      ...proveParam,
    }),
    result: z.strictObject({
      datanetId: idOut,
      version: idOut,
      root: hashHex.describe("the Merkle root over the first count accepted contributions"),
      count: countOut,
      height: heightOut.describe("the height the version was published at"),
      queriedHeight: heightOut.describe("the height of the state read (and of proof)"),
      ...proofField,
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
      const key = { datanetVersion: { datanetId: p.datanetId, version: p.version } };
      // height is the record's: the height the version was published at. queriedHeight is the state read.
      const answer = { ...recordView(value.version), queriedHeight: height };
      return p.prove === true ? { ...answer, proof: await stateProofAnswer(ctx, height, key) } : answer;
    },
  }),
  method({
    name: "datanet_proveMembership",
    description:
      "A Merkle proof that a contribution is in a published datanet version: its content hash is leaf `index` " +
      "of `count`, and the sibling hashes (bottom first) lead to the version's root; with versionProof, the " +
      "state proof of the version's record (which holds that root and count) against a signed header, and " +
      "contributionProof, the contribution record's (its content hash and index).",
    params: z.strictObject({
      datanetId: idSchema("datanetId"),
      version: idSchema("version"),
      contributionId: idSchema("contributionId"),
      height: heightSchema.optional(),
    }),
    result: z.strictObject({
      datanetId: idOut,
      version: idOut,
      contributionId: idOut,
      contentHash: hashHex,
      index: countOut,
      count: countOut,
      root: hashHex,
      proof: z.array(hashHex).describe("sibling hashes, bottom first"),
      height: heightOut.describe("the version's publish height"),
      queriedHeight: heightOut,
      versionProof: stateProofOut,
      contributionProof: stateProofOut,
      clientChecks: z.array(z.string()),
    }),
    handler: async (p, ctx) => {
      const { value, height } = await readAt(ctx, p.height, (view) => ({
        datanet: getDatanet(view, p.datanetId),
        version: getDatanetVersion(view, p.datanetId, p.version),
        contribution: getContribution(view, p.contributionId),
      }));
      const { datanet, version, contribution: c } = value;
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
      // Building a big version's tree is heavy (a million leaves take ~2 s): it takes a scan slot, counts against
      // the request's work budget (proofBuildWork), and goes a slice at a time, stopping if the client leaves.
      const tree = await ctx.request.scan(() =>
        versionTreeCache(ctx).treePaced(
          version,
          leafReader(ctx.state, p.datanetId),
          () => ctx.request.breathe(),
          (work) => ctx.request.charge(work),
        ));
      // The leaves are re-read from state; a root that differs is corrupt state, not a caller's mistake.
      if (!equalBytes(tree.root(), version.root)) {
        throw new Error(`datanet ${p.datanetId} version ${p.version}: the accepted contributions do not hash to its root`);
      }
      const proof = tree.proof(c.acceptIndex);
      // The root means something to a client only through a header it trusts: the version's record (which
      // stores root and count) proved against the state root of a signed header. A published version never
      // changes, so it is proved at the latest height whatever height was asked (a record proved there holds
      // the same root as at any height since publishing, and the latest height is never pruned).
      const versionProof = await stateProofAnswer(ctx, undefined, {
        datanetVersion: { datanetId: p.datanetId, version: p.version },
      });
      // And the contribution's record, which ties its id to contentHash and index (neither changes once it is
      // accepted; a later slash changes its status only): so the proof is of this contribution, not of a hash.
      const contributionProof = await stateProofAnswer(ctx, undefined, { contribution: c.id });
      // The node checks its own answer (a failure is corrupt state); that says nothing to a client.
      if (!verifyMerkleProof(c.contentHash, c.acceptIndex, version.count, proof, version.root)) {
        throw new Error(`datanet ${p.datanetId} version ${p.version}: the proof of leaf ${c.acceptIndex} fails`);
      }
      return {
        datanetId: p.datanetId,
        version: p.version,
        contributionId: c.id,
        contentHash: toHex(c.contentHash),
        index: c.acceptIndex,
        count: version.count,
        root: toHex(version.root),
        proof: proof.map(toHex),
        height: version.height, // the version's publish height (its record's), not the height asked
        queriedHeight: height,
        versionProof,
        contributionProof,
        clientChecks: MEMBERSHIP_CLIENT_CHECKS,
      };
    },
  }),
];
