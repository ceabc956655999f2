import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { homePaths, readConfig } from "../../node/config.ts";
import {
  ACCOUNT_FUNDS,
  createDevnetHomes,
  devnetExists,
  FAUCET_FUNDS,
  readDevnet,
} from "../../node/devnet-homes.ts";
import { parseGenesis } from "../../node/genesis-file.ts";
import { Keyring } from "../../node/keyring.ts";
import { loadNodeKey } from "../../node/node-key.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { tempDir } from "../helpers/tmp.ts";

const tmp = tempDir("opl-devnet-homes-");
afterAll(() => tmp.cleanup());

describe("createDevnetHomes", () => {
  it("makes N homes on distinct loopback ports, each peered with all the others, sharing one genesis", async () => {
    const dir = join(tmp.dir, "net");
    const made = await createDevnetHomes({ dir, validators: 3, chainId: "opl-homes-1", blockIntervalMs: 250 });
    expect(made.nodes.map((n) => n.name)).toEqual(["node0", "node1", "node2"]);

    const configs = made.nodes.map((n) => readConfig(homePaths(n.home).config));
    const ports = configs.flatMap((c) => [
      Number(c.rpc.listen.split(":")[1]),
      Number(/\/tcp\/(\d+)$/.exec(c.p2p.listen)?.[1]),
    ]);
    expect(new Set(ports).size).toBe(6);
    for (const c of configs) {
      expect(c.rpc.listen).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(c.p2p.listen).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/);
      expect(c.consensus.block_interval_ms).toBe(250);
    }
    const peerAddress = (i: number) =>
      `${configs[i].p2p.listen}/p2p/${loadNodeKey(homePaths(made.nodes[i].home).nodeKey).peerId}`;
    expect(configs[0].p2p.persistent_peers).toEqual([peerAddress(1), peerAddress(2)]);
    expect(configs[1].p2p.persistent_peers).toEqual([peerAddress(0), peerAddress(2)]);
    expect(configs[2].p2p.persistent_peers).toEqual([peerAddress(0), peerAddress(1)]);
    expect(made.nodes.map((n) => n.p2p)).toEqual([0, 1, 2].map(peerAddress));

    const files = made.nodes.map((n) => readFileSync(homePaths(n.home).genesis, "utf8"));
    expect(new Set(files).size).toBe(1);
    const file = JSON.parse(files[0]);
    const genesis = parseGenesis(file);
    expect(genesis.chainId).toBe("opl-homes-1");
    expect(file.validators.map((v: { name: string }) => v.name)).toEqual(["node0", "node1", "node2"]);
    // Each validator is operated by a DIR/keyring key named like its node, which pays the self-stake.
    expect(genesis.validators.map((v) => v.selfStake)).toEqual([10n ** 21n, 10n ** 21n, 10n ** 21n]);
    expect(genesis.validators.map((v) => encodeAddress(v.address))).toEqual(
      made.nodes.map((n) => encodeAddress(loadValidatorKey(homePaths(n.home).validatorKey).address)),
    );

    const keys = new Keyring(dir).list();
    expect(keys.map((k) => k.name)).toEqual(["account0", "account1", "account2", "faucet", "node0", "node1", "node2"]);
    const balances = new Map(genesis.accounts.map((a) => [encodeAddress(a.address), a.balance]));
    for (const k of keys) {
      const expected = k.name === "faucet" ? FAUCET_FUNDS : k.name.startsWith("node") ? 10n ** 21n + ACCOUNT_FUNDS : ACCOUNT_FUNDS;
      expect(balances.get(k.address)).toBe(expected);
    }

    expect(readDevnet(dir)).toEqual({
      dir,
      chainId: "opl-homes-1",
      nodes: made.nodes,
    });
  });

  it("refuses to overwrite an existing devnet, and leaves nothing behind on bad options", async () => {
    const dir = join(tmp.dir, "again");
    await createDevnetHomes({ dir, validators: 2, chainId: "opl-homes-2" });
    const before = readFileSync(join(dir, "node0", "genesis.json"), "utf8");
    await expect(createDevnetHomes({ dir, validators: 2, chainId: "opl-homes-2" })).rejects.toThrow(
      /already holds a devnet/,
    );
    expect(readFileSync(join(dir, "node0", "genesis.json"), "utf8")).toBe(before);

    const bad = join(tmp.dir, "bad");
    await expect(createDevnetHomes({ dir: bad, validators: 0, chainId: "x" })).rejects.toThrow(/validators must be/);
    await expect(createDevnetHomes({ dir: bad, validators: 2, chainId: "bad id!" })).rejects.toThrow(/chain id/);
    expect(devnetExists(bad)).toBe(false);
    expect(existsSync(bad) ? readdirSync(bad) : []).toEqual([]);
  });
});
