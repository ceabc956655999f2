import { describe, expect, it } from "vitest";
import { sha256 } from "../../crypto/hash.ts";
import { defaultConfig } from "../../node/config.ts";
import { APP_ERRORS, RpcError } from "../../rpc/errors.ts";
import { MAX_PROOF_LEAVES, PROOF_LEAVES_PER_WORK_KEY, proofBuildWork, VersionTreeCache } from "../../rpc/methods/datanets.ts";
import { WorkPacer } from "../../rpc/pacer.ts";
import { RequestScope } from "../../rpc/request-scope.ts";
import { Semaphore } from "../../rpc/semaphore.ts";

/**
 * datanet_proveMembership builds a version's Merkle tree when it is not cached: that work counts against the
 * request's work budget (rpc.max_request_work), and one version is built once however many ask at once.
 */
const leaf = (i: number) => sha256(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16));
const version = (datanetId: number, v: number, count: number) => ({
  datanetId, version: v, count, height: 1, root: new Uint8Array(32),
});
const pace = () => new Promise<void>((resolve) => setImmediate(resolve));

function scope(maxWork: number): RequestScope {
  return new RequestScope({
    signal: new AbortController().signal, maxWork, scans: new Semaphore(2), pacer: new WorkPacer(),
  });
}

describe("proof-tree builds", () => {
  it("a request proving over versions that do not fit the cache is stopped by its work budget", async () => {
    const cache = new VersionTreeCache(2, 30_000); // room for two versions of 10,000 leaves
    const request = scope(defaultConfig("test").rpc.max_request_work / 50); // 2,000 keys
    let reads = 0;
    let refused: unknown;
    let proved = 0;
    // A batch of 1000 proofs rotating over three versions: without a budget, each proof rebuilds its tree.
    try {
      for (let i = 0; i < 1000; i++) {
        const v = version(1, 1 + (i % 3), 10_000);
        await cache.treePaced(v, (j) => (reads++, leaf(j)), pace, (work) => request.charge(work));
        proved++;
      }
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(APP_ERRORS.WORK_LIMIT_EXCEEDED);
    // Each build of 10,000 leaves costs 1,000 keys: two builds, then the third is refused before it reads a leaf.
    expect(proofBuildWork(10_000)).toBe(10_000 / PROOF_LEAVES_PER_WORK_KEY);
    expect([cache.builds, proved, reads]).toEqual([2, 2, 20_000]);
  });

  it("a version of the largest size stays provable in one request under the default work budget", () => {
    expect(proofBuildWork(MAX_PROOF_LEAVES)).toBeLessThanOrEqual(defaultConfig("test").rpc.max_request_work);
  });

  it("requests asking for one version at once build it once", async () => {
    const cache = new VersionTreeCache();
    let reads = 0;
    const v = version(5, 1, 20_000);
    const trees = await Promise.all(Array.from({ length: 4 }, () =>
      cache.treePaced(v, (j) => (reads++, leaf(j)), pace, () => {})));
    expect(cache.builds).toBe(1);
    expect(reads).toBe(20_000);
    for (const t of trees) expect(t.root()).toEqual(trees[0].root());
  });

  it("if the request building a version leaves, one waiting for it builds it itself", async () => {
    const cache = new VersionTreeCache();
    const v = version(6, 1, 20_000);
    let builderPaces = 0;
    const gone = cache.treePaced(v, leaf, () => (++builderPaces > 3 ? Promise.reject(new Error("gone")) : pace()), () => {});
    const waiter = cache.treePaced(v, leaf, pace, () => {});
    await expect(gone).rejects.toThrow("gone");
    const tree = await waiter;
    expect(tree.count).toBe(20_000);
    expect(cache.builds).toBe(2);
  });
});
