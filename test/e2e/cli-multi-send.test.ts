import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcClient } from "../../rpc/client.ts";
import { MAX_MULTI_SEND_OUTPUTS } from "../../state/modules/bank/multi-send.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/** `opl tx multi-send`: funding many accounts is one transaction; refusals move nothing. */
const tmp = tempDir("opl-e2e-multi-send-");
const home = tmp.dir;
const OPEN = 10n ** 18n;
let node: NodeProcess;
let rpc: RpcClient;
let validator: string;

interface Account {
  balance: string;
  nonce: number;
}

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-multi-1", "--moniker", "multi"]);
  expect(init.code, init.stderr).toBe(0);
  setBlockInterval(home, 200);
  node = await NodeProcess.start(home);
  rpc = new RpcClient(node.url);
  validator = (await runCli(["keys", "show", "validator", "--address", "--home", home])).stdout.trim();
});

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

const txArgs = (...rest: string[]) => ["tx", "multi-send", ...rest, "--from", "validator", "--home", home, "--rpc", node.url];
const account = (address: string) => rpc.call<Account>("account_get", { address });
const fresh = (n: number) => Array.from({ length: n }, () => new TestAccount().bech32);

describe("opl tx multi-send", () => {
  it("funds 100 accounts from a CSV file in one transaction", async () => {
    const to = fresh(100);
    const file = join(home, "recipients.csv");
    const lines = to.map((a, i) => `${a},${(i + 1) / 100}`); // 0.01 .. 1 OPEN
    writeFileSync(file, `# address,amount in OPEN\n${lines.join("\n")}\n\n`);
    const before = await account(validator);
    const sent = await runCli(txArgs("--file", file, "--wait", "--json"));
    expect(sent.code, sent.stderr).toBe(0);
    const out = JSON.parse(sent.stdout) as { code: number; events: { type: string }[] };
    expect(out.code).toBe(0);
    expect(out.events.filter((e) => e.type === "transfer")).toHaveLength(100);
    const balances: bigint[] = [];
    for (const a of to) balances.push(BigInt((await account(a)).balance)); // one at a time: the per-IP cap
    expect(balances).toEqual(to.map((_, i) => (BigInt(i + 1) * OPEN) / 100n));
    expect((await account(validator)).nonce).toBe(before.nonce + 1);
  });

  it("takes --to ADDRESS=AMOUNT, repeated, and says what it sent", async () => {
    const [a, b] = fresh(2);
    const sent = await runCli(txArgs("--to", `${a}=1.5`, "--to", `${b}=2`, "--wait"));
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/included in block \d+ \(index \d+\): sent 3\.5 OPEN to 2 recipients/);
    expect((await account(a)).balance).toBe(String((3n * OPEN) / 2n));
    expect((await account(b)).balance).toBe(String(2n * OPEN));
  });

  it("refuses too many recipients, a duplicate, a zero amount, more than the balance: nothing moves", async () => {
    const before = await account(validator);
    const [a, b] = fresh(2);
    const cases: [string[], number, RegExp][] = [
      [fresh(MAX_MULTI_SEND_OUTPUTS + 1).flatMap((x) => ["--to", `${x}=1`]), 1,
        new RegExp(`${MAX_MULTI_SEND_OUTPUTS + 1} recipients; the limit is ${MAX_MULTI_SEND_OUTPUTS}`)],
      [["--to", `${a}=1`, "--to", `${a}=2`], 1, /appears twice/],
      [["--to", `${a}=1`, "--to", `${b}=0`], 1, /recipient 2 .*amount must be positive/],
      [["--to", `${a}=1`, "--to", "opl1nothing=1"], 1, /--to/],
      [["--to", `${a}=1`, "--to", `${b}=100000000000`], 4, /insufficient funds/i],
    ];
    for (const [args, exit, message] of cases) {
      const r = await runCli([...txArgs(...args), "--json"]);
      expect(r.code, `${args.slice(0, 4).join(" ")}: ${r.stderr}`).toBe(exit);
      expect(JSON.parse(r.stderr).error.message).toMatch(message);
    }
    const noFile = await runCli(txArgs("--file", join(home, "missing.csv")));
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/missing\.csv/);
    expect(await account(validator)).toMatchObject({ nonce: before.nonce });
    expect((await account(a)).balance).toBe("0");
    expect((await account(b)).balance).toBe("0");
  });
});
