import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCliWith } from "../helpers/cli-stdin.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A default home: $OPL_HOME, else ~/.opl (here HOME is a temp directory: never the real ~/.opl); and a clear
 * error for a --home that does not exist instead of a node that happens to listen on the default port.
 */
const tmp = tempDir("opl-e2e-default-home-");
afterAll(() => tmp.cleanup());

const fakeHome = join(tmp.dir, "user");
const optHome = join(tmp.dir, "opl-home");
/** HOME is the fake one, and OPL_HOME is unset unless given. */
const env = (oplHome?: string) => ({ HOME: fakeHome, OPL_HOME: oplHome ?? "" });

describe("the default home", () => {
  it("is $OPL_HOME when set: init, keys and genesis need no --home", async () => {
    const init = await runCliWith(["init", "--chain-id", "opl-home-1", "--json"], { env: env(optHome) });
    expect(init.code, init.stderr).toBe(0);
    expect(existsSync(join(optHome, "config.toml"))).toBe(true);
    const [keys, genesis] = await Promise.all([
      runCliWith(["keys", "list", "--json"], { env: env(optHome) }),
      runCliWith(["genesis", "validate", "--json"], { env: env(optHome) }),
    ]);
    expect(keys.code, keys.stderr).toBe(0);
    expect((JSON.parse(keys.stdout) as { name: string }[]).map((k) => k.name)).toEqual(["validator"]);
    expect(genesis.code, genesis.stderr).toBe(0);
    expect(JSON.parse(genesis.stdout)).toMatchObject({ chainId: "opl-home-1" });
    expect(existsSync(join(fakeHome, ".opl"))).toBe(false);
  });

  it("is ~/.opl without OPL_HOME", async () => {
    const add = await runCliWith(["keys", "add", "alice"], { env: env() });
    expect(add.code, add.stderr).toBe(0);
    expect(existsSync(join(fakeHome, ".opl", "keyring", "alice.json"))).toBe(true);
  });
});

describe("a --home that does not exist", () => {
  it("is refused with what to run, by every command that reads a home (nothing contacts a node)", async () => {
    const missing = join(tmp.dir, "nowhere");
    const expected = `no node home at ${missing} (run opl init --home ${missing})`;
    const commands = [
      ["status"],
      ["query", "supply"],
      ["tx", "transfer", "--from", "validator", "--to", "opl1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqtxmlxy", "--amount", "1"],
      ["keys", "list"],
      ["keys", "show", "validator"],
      ["show-node-id"],
      ["start"],
      ["genesis", "validate"],
    ];
    const runs = await Promise.all(
      commands.map((c) => runCliWith([...c, "--home", missing], { env: env(optHome) })),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.code, `${commands[i].join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr.trim(), commands[i].join(" ")).toBe(`error: ${expected}`);
    }
    const json = await runCliWith(["status", "--home", missing, "--json"], { env: env(optHome) });
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: "ERROR", message: expected } });
    expect(existsSync(missing)).toBe(false);
  });
});
