import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * Governance through real `opl` processes: a parameter change submitted and voted with `opl tx gov`, seen
 * passing with `opl query gov`, and the new value in `opl query chain params`; a bad parameter refused.
 */
const tmp = tempDir("opl-e2e-gov-");
const home = tmp.dir;
let node: NodeProcess;

function cli(args: string[]) {
  return runCli([...args, "--home", home, "--rpc", node.url]);
}

async function tx(args: string[]): Promise<{ code: number; log: string; height: number }> {
  const r = await cli(["tx", "gov", ...args, "--from", "validator", "--wait", "--json"]);
  expect(r.code, `${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as { code: number; log: string; height: number };
}

async function query<T>(args: string[]): Promise<T> {
  const r = await cli(["query", ...args, "--json"]);
  expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-e2e-gov", "--moniker", "e2e"]);
  expect(init.code, init.stderr).toBe(0);
  setBlockInterval(home, 200);
  // A vote of 40 blocks (8 s: each CLI call starts a process) and a 10 OPEN deposit, so a proposal's life fits in a test.
  const path = join(home, "genesis.json");
  const genesis = JSON.parse(readFileSync(path, "utf8"));
  genesis.params.gov = { ...genesis.params.gov, votingPeriodBlocks: 40, minDeposit: "10000000000000000000" };
  writeFileSync(path, JSON.stringify(genesis, null, 2));
  node = await NodeProcess.start(home);
});

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

describe("governance through the CLI", () => {
  it("submit-proposal --param, vote, and the new value from the block after the vote", async () => {
    const submitted = await tx([
      "submit-proposal",
      "--title",
      "raise the protocol share",
      "--param",
      "attribution.protocolSharePpm=120000",
      "--deposit",
      "10",
    ]);
    expect(submitted.code, submitted.log).toBe(0);
    expect((await tx(["vote", "1", "yes"])).code).toBe(0);
    const votingEnd = submitted.height + 40;
    const deadline = Date.now() + 45_000;
    let status = "";
    while (status !== "passed" && Date.now() < deadline) {
      status = (await query<{ status: string }>(["gov", "proposal", "1"])).status;
      if (status === "voting_period") await new Promise((r) => setTimeout(r, 200));
      else break;
    }
    expect(status).toBe("passed");
    const tally = await query<{ live: boolean; tally: { yes: string } }>(["gov", "tally", "1"]);
    expect(tally.live).toBe(false);
    expect(BigInt(tally.tally.yes)).toBeGreaterThan(0n);
    const params = await query<{ attribution: { protocolSharePpm: number } }>(["chain", "params"]);
    expect(params.attribution.protocolSharePpm).toBe(120_000);
    const before = await query<{ attribution: { protocolSharePpm: number } }>([
      "chain",
      "params",
      "--height",
      String(votingEnd - 1),
    ]);
    expect(before.attribution.protocolSharePpm).toBe(100_000);
    const proven = await cli(["query", "chain", "params", "--prove"]);
    expect(proven.code, proven.stderr).toBe(0);
    expect(proven.stdout).toMatch(/^attribution\.protocolSharePpm: +120000$/m);
    expect(proven.stdout).toMatch(/^params in force: the params record in state$/m);
    expect(proven.stdout).toMatch(/^verified: this value at height \d+/m);
    const list = await cli(["query", "gov", "proposals", "--status", "passed"]);
    expect(list.stdout).toMatch(/^1 passed params "raise the protocol share" deposit 10 OPEN vote ends \d+/);
    const votes = await query<{ items: { voter: string }[] }>(["gov", "votes", "1"]);
    const voter = votes.items[0].voter;
    const byVoter = await cli(["query", "gov", "votes", "--voter", voter]);
    expect(byVoter.code, byVoter.stderr).toBe(0);
    expect(byVoter.stdout).toContain(`1 ${voter} yes`);
    const both = await cli(["query", "gov", "votes", "1", "--voter", voter]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give a proposal id or --voter ADDRESS/);
  });

  it("an unknown parameter is refused with a clear error and a non-zero exit", async () => {
    const r = await cli(["tx", "gov", "submit-proposal", "--title", "x", "--param", "attribution.nope=1", "--from", "validator"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/attribution\.nope is not a parameter/);
  });

  it("--help of tx gov and query gov lists their actions", async () => {
    const txHelp = await runCli(["tx", "gov", "--help"]);
    for (const a of ["submit-proposal", "deposit", "vote"]) expect(txHelp.stdout).toContain(a);
    const queryHelp = await runCli(["query", "gov", "--help"]);
    for (const a of ["proposal", "proposals", "votes", "deposits", "tally"]) expect(queryHelp.stdout).toContain(a);
  });
});
