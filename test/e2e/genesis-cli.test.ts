import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { parseGenesis } from "../../node/genesis-file.ts";
import { RpcClient } from "../../rpc/client.ts";
import { NodeProcess, runCli } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * The README's "Running a network of validators" flow, all on one machine: three operators `opl init`,
 * each sends `genesis show-validator` to a coordinator (operator 0), who builds one genesis.json.
 */
const tmp = tempDir("opl-e2e-genesis-");
const homes = [0, 1, 2].map((i) => join(tmp.dir, `op${i}`));
const started: NodeProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((n) => n.kill("SIGKILL")));
  tmp.cleanup();
});

async function ok(args: string[]): Promise<string> {
  const r = await runCli(args);
  expect(r.code, `opl ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("opl genesis: collecting validators into one genesis", () => {
  it("show-validator -> add-validator builds a genesis with all three validators that opl start accepts", async () => {
    await Promise.all(
      homes.map((home, i) => ok(["init", "--home", home, "--chain-id", "opl-net-e2e", "--moniker", `val${i}`])),
    );
    const shown = await Promise.all(
      homes.map(async (home, i) => {
        const v = JSON.parse(await ok(["genesis", "show-validator", "--home", home]));
        const key = JSON.parse(readFileSync(join(home, "validator_key.json"), "utf8")) as { publicKey: string };
        expect(v).toEqual({
          name: `val${i}`,
          address: expect.stringMatching(/^opl1/),
          pubKey: Buffer.from(key.publicKey, "hex").toString("base64"),
          selfStake: "1000000000000000000000",
          operator: expect.stringMatching(/^opl1/),
        });
        const file = join(tmp.dir, `val${i}.json`);
        writeFileSync(file, JSON.stringify(v));
        return { ...v, file } as { name: string; address: string; pubKey: string; operator: string; file: string };
      }),
    );

    const coordinator = homes[0];
    // The coordinator's own init validator goes first, so the set is exactly the ones added below.
    expect(await ok(["genesis", "reset-validators", "--home", coordinator])).toMatch(/removed 1 validator/);
    for (const v of shown) {
      expect(await ok(["genesis", "add-validator", "--home", coordinator, "--file", v.file])).toMatch(
        new RegExp(`added validator ${v.name} \\(${v.address}, self-stake 1000000000000000000000\\)`),
      );
    }
    const funded = (await ok(["keys", "add", "bob", "--home", homes[1]])).trim();
    await ok(["genesis", "add-account", "--home", coordinator, "--address", funded, "--balance", "12.5"]);

    const file = JSON.parse(readFileSync(join(coordinator, "genesis.json"), "utf8"));
    const genesis = parseGenesis(file);
    expect(genesis.chainId).toBe("opl-net-e2e");
    expect(genesis.validators.map((v) => encodeAddress(v.address))).toEqual(shown.map((v) => v.address));
    expect(file.validators.map((v: { name: string }) => v.name)).toEqual(["val0", "val1", "val2"]);
    // Each validator's self-stake comes from its operator (the home's `validator` key); an operator new to
    // this genesis is funded with exactly it (val0's is the coordinator's own, already funded, key).
    expect(genesis.validators.map((v) => v.selfStake)).toEqual([10n ** 21n, 10n ** 21n, 10n ** 21n]);
    expect(genesis.validators.map((v) => encodeAddress(v.operator))).toEqual(shown.map((v) => v.operator));
    for (const v of shown.slice(1)) {
      expect(genesis.accounts.find((a) => encodeAddress(a.address) === v.operator)?.balance).toBe(10n ** 21n);
    }
    expect(genesis.accounts.find((a) => encodeAddress(a.address) === funded)?.balance).toBe(125n * 10n ** 17n);

    // Every operator copies the coordinator's file; `genesis validate` shows all of them the same identity.
    for (const home of homes.slice(1)) copyFileSync(join(coordinator, "genesis.json"), join(home, "genesis.json"));
    const identities = await Promise.all(homes.map((home) => ok(["genesis", "validate", "--home", home])));
    expect(identities[0]).toMatch(/validators: 3 \(total self-stake 3000 OPEN\)/);
    expect(new Set(identities.map((out) => /identity: (\S+)/.exec(out)?.[1])).size).toBe(1);

    // And each node starts from it (blocks need the validators networked; only the start is checked here).
    started.push(...(await Promise.all(homes.map((home) => NodeProcess.start(home)))));
    const statuses = await Promise.all(
      started.map((n) => new RpcClient(n.url).call<{ chainId: string; moniker: string }>("node_getStatus")),
    );
    expect(statuses.map((s) => [s.chainId, s.moniker])).toEqual([
      ["opl-net-e2e", "val0"],
      ["opl-net-e2e", "val1"],
      ["opl-net-e2e", "val2"],
    ]);
  }, 120_000); // several real node processes: room for a loaded machine

  it("refuses a duplicate validator, a bad public key, a bad account, and edits of a started home", async () => {
    const coordinator = homes[0];
    const before = readFileSync(join(coordinator, "genesis.json"), "utf8");
    const scratch = join(tmp.dir, "scratch");
    await ok(["init", "--home", scratch, "--chain-id", "opl-net-e2e", "--moniker", "scratch"]);
    copyFileSync(join(coordinator, "genesis.json"), join(scratch, "genesis.json"));
    const again = join(tmp.dir, "val1.json");
    const offCurve = Buffer.alloc(32, 0xff).toString("base64");
    const smallOrder = Buffer.from([1, ...new Array(31).fill(0)]).toString("base64");
    const cases: [string[], RegExp][] = [
      [["genesis", "add-validator", "--home", scratch, "--file", again], /validator opl1\w+ is already in genesis \(as "val1"\)/],
      [["genesis", "add-validator", "--home", scratch, "--file", again, "--name", "other"], /already in genesis/],
      [["genesis", "add-validator", "--home", scratch, "--name", "x", "--pub-key", "AAAA"], /base64 ed25519 public key \(32 bytes\)/],
      [["genesis", "add-validator", "--home", scratch, "--name", "x", "--pub-key", offCurve], /not a valid ed25519 public key/],
      [["genesis", "add-validator", "--home", scratch, "--name", "x", "--pub-key", smallOrder], /weak \(small-order\)/],
      [["genesis", "add-validator", "--home", scratch, "--name", "val0", "--pub-key", "B1Bo2WbgLGVTPQlH0KKu6BLxi3qC1/CmvQv2zhXHcA4="], /named "val0" is already/],
      [["genesis", "add-validator", "--home", scratch, "--file", again, "--name", "y", "--self-stake", "lots"], /"lots" is not an amount of OPEN/],
      [["genesis", "add-account", "--home", scratch, "--address", "opl1nope", "--balance", "1"], /invalid address/],
      [["genesis", "add-account", "--home", scratch, "--address", JSON.parse(readFileSync(again, "utf8")).address, "--balance", "0"], /balance must be more than 0/],
      [["genesis", "add-account", "--home", coordinator, "--address", JSON.parse(readFileSync(again, "utf8")).address, "--balance", "1"], /already has chain data/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    expect(readFileSync(join(scratch, "genesis.json"), "utf8")).toBe(before);
    expect(readFileSync(join(coordinator, "genesis.json"), "utf8")).toBe(before);
  }, 120_000); // several real node processes: room for a loaded machine

  it("every genesis command has --help", async () => {
    for (const c of [["genesis"], ...["show-validator", "add-validator", "add-account", "reset-validators", "validate"].map((s) => ["genesis", s]), ["show-node-id"]]) {
      const r = await runCli([...c, "--help"]);
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.stdout, c.join(" ")).toMatch(/Usage: opl/);
    }
  });
});

describe("opl genesis add-accounts: many accounts in a streamed file", () => {
  it("generates accounts into a file named by its sha256; validate counts them; a second file is refused", async () => {
    const home = join(tmp.dir, "many");
    await ok(["init", "--home", home, "--chain-id", "opl-many-e2e"]);
    const added = await ok(["genesis", "add-accounts", "--home", home, "--count", "3000", "--balance", "2"]);
    expect(added).toMatch(/added 3000 accounts in genesis-accounts\.jsonl \(sha256 [0-9a-f]{64}\)/);
    const genesis = JSON.parse(readFileSync(join(home, "genesis.json"), "utf8")) as { accountsFile: unknown };
    expect(genesis.accountsFile).toEqual({ path: "genesis-accounts.jsonl", sha256: expect.any(String), count: 3000 });
    const validated = await ok(["genesis", "validate", "--home", home]);
    expect(validated).toMatch(/accounts: 3001 \(total 1000007000 OPEN\)/);
    const again = await runCli(["genesis", "add-accounts", "--home", home, "--count", "5"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already names an accounts file/);
    // A file edited after it was added no longer matches what genesis.json names.
    const path = join(home, "genesis-accounts.jsonl");
    writeFileSync(path, readFileSync(path, "utf8").replace(/"balance":"2000000000000000000"/, "\"balance\":\"3\""));
    const changed = await runCli(["genesis", "validate", "--home", home]);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/is not the one genesis.json names/);
  });
});
