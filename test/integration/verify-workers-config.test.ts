import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { MAX_VERIFY_WORKERS, verifyWorkerCount } from "../../crypto/verify-pool.ts";
import { defaultConfig, homePaths, parseConfig, readConfig } from "../../node/config.ts";
import { createDevnetHomes, devnetVerifyWorkers, readDevnet, setDevnetVerifyWorkers } from "../../node/devnet-homes.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { includedTx } from "../helpers/economy.ts";
import { startTestChain } from "../helpers/in-process-node.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * config.toml [verify] workers: how many signature-verification threads a node starts. 0 (the default) is one
 * per core, at most MAX_VERIFY_WORKERS; a devnet's nodes share the machine's cores.
 */
const tmp = tempDir("opl-verify-workers-");
afterAll(() => tmp.cleanup());

describe("[verify] workers", () => {
  it("defaults to 0, one per core (at most 4); a number above 0 is taken as it is; a negative one is refused", () => {
    expect(defaultConfig("n").verify.workers).toBe(0);
    expect([1, 2, 3, 4, 8, 64].map((cores) => verifyWorkerCount(0, cores))).toEqual([1, 2, 3, 4, 4, 4]);
    expect(MAX_VERIFY_WORKERS).toBe(4);
    expect(verifyWorkerCount(3, 2)).toBe(3);
    expect(parseConfig("[verify]\nworkers = 2\n", "c.toml").verify.workers).toBe(2);
    expect(() => parseConfig("[verify]\nworkers = -1\n", "c.toml")).toThrow(/verify\.workers/);
  });

  it("gives each node of a devnet a share of the cores, at least one", () => {
    expect(devnetVerifyWorkers(1, 2)).toBe(0); // a devnet of one: the node's own default
    expect(devnetVerifyWorkers(4, 2)).toBe(1);
    expect(devnetVerifyWorkers(2, 2)).toBe(1);
    expect(devnetVerifyWorkers(2, 8)).toBe(4);
    expect(devnetVerifyWorkers(3, 64)).toBe(MAX_VERIFY_WORKERS);
    expect(devnetVerifyWorkers(64, 2)).toBe(1);
  });

  it("is written into every home of a devnet, commented, and set again for a devnet moved to another machine", async () => {
    const made = await createDevnetHomes({ dir: join(tmp.dir, "net"), validators: 4, chainId: "opl-vw-1", cores: 2 });
    for (const node of made.nodes) {
      expect(readConfig(homePaths(node.home).config).verify.workers).toBe(1);
      expect(readFileSync(homePaths(node.home).config, "utf8")).toMatch(/\[verify\]\n(# .*\n)+workers = 1\n/);
    }
    setDevnetVerifyWorkers(readDevnet(made.dir), 3);
    for (const node of made.nodes) expect(readConfig(homePaths(node.home).config).verify.workers).toBe(3);
  });

  it("starts that many workers, and a node so set commits signed transfers", async () => {
    const workers = verifyWorkerCount(0) === 1 ? 2 : 1; // not what 0 would start on this machine
    const chain = await startTestChain({ verify: { workers } });
    try {
      expect(chain.node.verifyWorkers).toBe(workers);
      const fee = DEFAULT_PARAMS.minFee;
      const txs = Array.from({ length: 3 }, () =>
        chain.faucet.transfer(chain.chainId, new TestAccount().address, 1n, fee));
      const hashes = await Promise.all(
        txs.map(async (t) => (await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(t.bytes) })).hash),
      );
      for (const hash of hashes) expect((await includedTx(chain, hash)).result.code).toBe(0);
    } finally {
      await chain.stop();
    }
  });

  it("starts one per core (at most 4) when 0", async () => {
    const chain = await startTestChain();
    try {
      expect(chain.node.verifyWorkers).toBe(verifyWorkerCount(0));
    } finally {
      await chain.stop();
    }
  });
});
