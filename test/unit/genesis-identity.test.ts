import { describe, expect, it } from "vitest";
import { genesisIdentity, type GenesisFile, parseGenesis } from "../../node/genesis-file.ts";

/**
 * A chain's identity (what a database records and checks at every start) is computed from genesis.json
 * alone. A genesis.json without an accounts file keeps the identity it always had (existing chains open);
 * an accounts file counts by its sha256 and count, not by where it lies.
 */

const FILE = {
  chainId: "opl-kat-1",
  genesisTime: "2026-01-01T00:00:00Z",
  // The defaults of the day the answer was computed, where they have changed since (a genesis that leaves a
  // param to the default takes today's: another chain, another identity).
  params: { attribution: { maxBlockCredits: 20_000 } },
  validators: [{ name: "v0", pubKey: "ERERERERERERERERERERERERERERERERERERERERERE=", selfStake: "1000" }],
  accounts: [{ address: "opl1qurswpc8qurswpc8qurswpc8qurswpc8dxa752", balance: "5000" }],
} as unknown as GenesisFile;

describe("genesis identity", () => {
  it("is unchanged for a genesis.json without an accounts file (known answer, computed by opl before them)", () => {
    expect(genesisIdentity(parseGenesis(FILE))).toBe(
      "opl-kat-1:234e92b940f8ef7d079951fa0f6caa0720c86c65425924f62fdc20566d6acf97",
    );
  });

  it("covers an accounts file's sha256 and count, not its path", () => {
    const withFile = (sha256: string, count: number, path = "genesis-accounts.jsonl") =>
      genesisIdentity(parseGenesis({ ...FILE, accountsFile: { path, sha256, count } }));
    const a = withFile("ab".repeat(32), 10);
    expect(a).not.toBe(genesisIdentity(parseGenesis(FILE)));
    expect(withFile("ab".repeat(32), 10, "elsewhere/accounts.jsonl")).toBe(a);
    expect(withFile("cd".repeat(32), 10)).not.toBe(a);
    expect(withFile("ab".repeat(32), 11)).not.toBe(a);
  });

  it("refuses an accounts file reference that does not name a file by its sha256", () => {
    expect(() => parseGenesis({ ...FILE, accountsFile: { path: "a", sha256: "xyz", count: 1 } })).toThrow(
      /accountsFile.sha256 must be the file's sha256/,
    );
    expect(() => parseGenesis({ ...FILE, accountsFile: { path: "a", sha256: "ab".repeat(32), count: 0 } })).toThrow(
      /accountsFile.count must be a positive integer/,
    );
  });
});
