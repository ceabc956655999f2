import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcClient } from "../../rpc/client.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/** A CLI that scripts well: dry runs (tx_simulate), broadcast of --sign-only output, JSON everywhere. */
const tmp = tempDir("opl-e2e-cli-scripting-");
const home = tmp.dir;
let node: NodeProcess;
let rpc: RpcClient;
let bob: string;

interface Account {
  balance: string;
  nonce: number;
}

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-script-1", "--moniker", "script"]);
  expect(init.code, init.stderr).toBe(0);
  setBlockInterval(home, 200);
  node = await NodeProcess.start(home);
  rpc = new RpcClient(node.url);
  const add = await runCli(["keys", "add", "bob", "--home", home]);
  expect(add.code, add.stderr).toBe(0);
  bob = add.stdout.trim();
});

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

const txArgs = (...rest: string[]) => [...rest, "--home", home, "--rpc", node.url];
const account = (address: string) => rpc.call<Account>("account_get", { address });

async function heightReaches(height: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight < height) {
    if (Date.now() > deadline) throw new Error(`height ${height} not reached`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("--dry-run (tx_simulate)", () => {
  it("a dry-run transfer reports its events and leaves balances and nonce unchanged", async () => {
    const validator = (await runCli(["keys", "show", "validator", "--address", "--home", home])).stdout.trim();
    const before = await account(validator);
    const bobBefore = await account(bob);

    const human = await runCli(txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "2.5", "--dry-run"));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^dry run: would succeed \(code 0, OK\)/m);
    expect(human.stdout).toMatch(new RegExp(`transfer .*recipient=${bob}`));
    expect(human.stdout).toMatch(/2\.5 OPEN/);
    expect(human.stdout).toMatch(/fee 0\.001 OPEN/);

    const json = await runCli(
      txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "2.5", "--dry-run", "--json"),
    );
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as {
      code: number;
      reason: string;
      events: { type: string; attributes: Record<string, string> }[];
    };
    expect(result.code).toBe(0);
    expect(result.reason).toBe("OK");
    expect(result.events.map((e) => e.type)).toEqual(["fee", "transfer"]);
    expect(result.events[1].attributes).toMatchObject({ recipient: bob, amount: "2500000000000000000" });

    // Nothing was written, no fee charged, nothing entered the mempool: a block later all is as before.
    const height = (await rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
    await heightReaches(height + 2);
    expect(await account(validator)).toMatchObject({ balance: before.balance, nonce: before.nonce });
    expect(await account(bob)).toMatchObject({ balance: bobBefore.balance, nonce: bobBefore.nonce });
  });

  it("a dry run of a failing transaction reports its reason and exits non-zero", async () => {
    // bob holds nothing: even the fee cannot be paid.
    const broke = await runCli(txArgs("tx", "transfer", "--from", "bob", "--to", bob, "--amount", "1", "--dry-run", "--json"));
    expect(broke.code).toBe(5);
    expect(JSON.parse(broke.stdout)).toMatchObject({ reason: "INSUFFICIENT_FUNDS", includable: false });

    // The validator can pay the fee, but not a transfer of more than it holds: tx_submit refuses it (amount +
    // fee against the balance), and so does the dry run.
    const huge = await runCli(
      txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "1000000000000", "--dry-run"),
    );
    expect(huge.code).toBe(5);
    expect(huge.stdout).toMatch(/^dry run: could not be included with INSUFFICIENT_FUNDS \(code 10\)/m);
  });

  it("tx_simulate checks the signature and the size limit as tx_submit does", async () => {
    const signed = await runCli(txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "1", "--sign-only"));
    expect(signed.code, signed.stderr).toBe(0);
    const bytes = Buffer.from(signed.stdout.trim(), "base64");
    bytes[bytes.length - 1] ^= 1; // the last byte is the signature's
    await expect(rpc.call("tx_simulate", { tx: bytes.toString("base64") })).rejects.toMatchObject({
      data: { reason: "BAD_SIGNATURE" },
    });
    const { maxTxBytes } = await rpc.call<{ maxTxBytes: number }>("chain_getParams");
    const tooBig = Buffer.alloc(maxTxBytes + 1).toString("base64");
    await expect(rpc.call("tx_simulate", { tx: tooBig })).rejects.toMatchObject({ data: { reason: "TX_TOO_LARGE" } });
  });
});

describe("opl tx broadcast", () => {
  it("submits what --sign-only printed (plain and --json), and --wait reports the block", async () => {
    const bobBefore = BigInt((await account(bob)).balance);
    const plain = await runCli(txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "1", "--sign-only"));
    expect(plain.code, plain.stderr).toBe(0);
    const file = join(home, "signed.txt");
    writeFileSync(file, plain.stdout);
    const sent = await runCli(["tx", "broadcast", file, "--rpc", node.url, "--wait", "--json"]);
    expect(sent.code, sent.stderr).toBe(0);
    const included = JSON.parse(sent.stdout) as { hash: string; height: number; code: number };
    expect(included).toMatchObject({ code: 0 });
    expect(included.height).toBeGreaterThan(0);
    const tx = await rpc.call<{ height: number }>("tx_get", { hash: included.hash });
    expect(tx.height).toBe(included.height);

    // --sign-only --json prints { tx, hash }: broadcast takes that too (the next nonce, signed offline).
    const nonce = (await account((await runCli(["keys", "show", "validator", "--address", "--home", home])).stdout.trim())).nonce;
    const json = await runCli(
      txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "1", "--sign-only", "--json",
        "--nonce", String(nonce), "--chain-id", "opl-script-1"),
    );
    expect(json.code, json.stderr).toBe(0);
    const signed = JSON.parse(json.stdout) as { hash: string };
    writeFileSync(file, json.stdout);
    const human = await runCli(["tx", "broadcast", file, "--rpc", node.url, "--wait"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${signed.hash}\\nincluded in block \\d+`));
    expect(human.stdout).toMatch(/amount=1 OPEN/);
    expect(BigInt((await account(bob)).balance) - bobBefore).toBe(2n * 10n ** 18n);
  });

  it("refuses a file that holds no signed transaction", async () => {
    const file = join(home, "garbage.txt");
    writeFileSync(file, "not base64!\n");
    const bad = await runCli(["tx", "broadcast", file, "--rpc", node.url, "--json"]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: "ERROR" } });
  });
});

describe("opl query block and supply", () => {
  it("shows a block with its transactions and results, readable and --json", async () => {
    const sent = await runCli(txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "0.5", "--wait", "--json"));
    expect(sent.code, sent.stderr).toBe(0);
    const { hash, height } = JSON.parse(sent.stdout) as { hash: string; height: number };

    const json = await runCli(["query", "block", String(height), "--rpc", node.url, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const block = JSON.parse(json.stdout) as { header: { height: number }; txs: { hash: string }[] };
    expect(block.header.height).toBe(height);
    expect(block.txs.map((t) => t.hash)).toContain(hash);

    const human = await runCli(["query", "block", String(height), "--rpc", node.url]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^block ${height} `, "m"));
    expect(human.stdout).toMatch(new RegExp(`${hash} transfer from opl1\\w+ fee 0\\.001 OPEN: ok`));
    expect(human.stdout).toMatch(new RegExp(`transfer sender=opl1\\w+ recipient=${bob} amount=0\\.5 OPEN`));

    const missing = await runCli(["query", "block", String(height + 1_000_000), "--rpc", node.url, "--json"]);
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: "NODE_ERROR", reason: "BLOCK_NOT_FOUND" } });
  });

  it("shows the supply in OPEN, and as bank_getSupply answers with --json", async () => {
    const json = await runCli(["query", "supply", "--rpc", node.url, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const supply = JSON.parse(json.stdout) as { total: string; balances: string; height: number };
    expect(BigInt(supply.total)).toBeGreaterThan(0n);
    const human = await runCli(["query", "supply", "--rpc", node.url, "--height", String(supply.height)]);
    expect(human.code, human.stderr).toBe(0);
    const { formatOpen } = await import("../../state/units.ts");
    expect(human.stdout).toMatch(new RegExp(`^total: +${formatOpen(BigInt(supply.total)).replace(".", "\\.")} OPEN$`, "m"));
    expect(human.stdout).toMatch(/^balances: +[\d.]+ OPEN$/m);
  });
});

describe("--json on every command, and exit codes that say what failed", () => {
  it("each command that lacked --json prints one JSON document on stdout with it", async () => {
    const fresh = tempDir("opl-e2e-cli-json-");
    try {
      const validatorFile = join(fresh.dir, "validator.json");
      const other = join(fresh.dir, "home");
      type Check = [string[], (out: unknown) => void];
      // Steps run in order (a later one reads what an earlier one made); the commands of a step, a few at once.
      const steps: Check[][] = [
        [
          [["status", "--rpc", node.url], (o) => expect(o).toMatchObject({ chainId: "opl-script-1", catchingUp: false })],
          [["version"], (o) => expect(o).toMatchObject({ opl: expect.any(String) })],
          [["keys", "add", "carol", "--home", home], (o) =>
            expect(o).toMatchObject({ name: "carol", address: expect.stringMatching(/^opl1/) })],
          [["keys", "show", "bob", "--home", home], (o) => expect(o).toMatchObject({ name: "bob", address: bob })],
          [["show-node-id", "--home", home], (o) => expect(o).toMatchObject({ nodeId: expect.any(String) })],
          [["genesis", "show-validator", "--home", home], (o) => writeFileSync(validatorFile, JSON.stringify(o))],
          [["genesis", "validate", "--home", home], (o) => expect(o).toMatchObject({ chainId: "opl-script-1", accounts: 1 })],
          [["init", "--home", other, "--chain-id", "opl-json-1"], (o) => expect(o).toMatchObject({ chainId: "opl-json-1" })],
          [[...txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "1", "--sign-only")], (o) =>
            expect(o).toMatchObject({ tx: expect.any(String), hash: expect.any(String) })],
        ],
        [
          [["keys", "list", "--home", home], (o) => expect((o as { name: string }[]).map((k) => k.name)).toContain("carol")],
          [["genesis", "reset-validators", "--home", other], (o) => expect(o).toEqual({ removed: 1 })],
        ],
        [
          [["genesis", "add-validator", "--home", other, "--file", validatorFile], (o) =>
            expect(o).toMatchObject({ validators: 1 })],
          [["genesis", "add-account", "--home", other, "--address", bob, "--balance", "2"], (o) =>
            expect(o).toEqual({ address: bob, balance: "2000000000000000000" })],
        ],
        [[["genesis", "add-accounts", "--home", other, "--count", "3"], (o) => expect(o).toMatchObject({ count: 3 })]],
      ];
      const run = async ([args, check]: Check) => {
        const r = await runCli([...args, "--json"]);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        check(JSON.parse(r.stdout));
      };
      for (const step of steps) {
        const queue = [...step];
        await Promise.all(Array.from({ length: 4 }, async () => {
          for (let c = queue.shift(); c !== undefined; c = queue.shift()) await run(c);
        }));
      }
    } finally {
      fresh.cleanup();
    }
  });

  it("with --json an error is one JSON object on stderr, and the exit code names the kind of failure", async () => {
    const cases: [string[], number, Record<string, unknown>][] = [
      [["keys", "show", "nobody", "--home", home], 1, { code: "ERROR" }],
      [["status", "--bogus"], 2, { code: "USAGE" }],
      [["status", "--rpc", "http://127.0.0.1:1"], 3, { code: "UNREACHABLE" }],
      [["query", "block", "99999999", "--rpc", node.url], 4, { code: "NODE_ERROR", reason: "BLOCK_NOT_FOUND", rpcCode: 2001 }],
      [[...txArgs("tx", "transfer", "--from", "validator", "--to", bob, "--amount", "100000000000", "--dry-run")], 5,
        { code: "TX_FAILED" }],
    ];
    for (const [args, exit, error] of cases) {
      const r = await runCli([...args, "--json"]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(exit);
      expect(JSON.parse(r.stderr), args.join(" ")).toMatchObject({ error: { ...error, message: expect.any(String) } });
    }
  });
});

describe("reason names for included-but-failed transactions", () => {
  it("tx_get's result and the CLI name the reason next to the code", async () => {
    // Admission checks the nonce and the fee, not the message: a review of a contribution that does not exist
    // is included, pays its fee, and fails.
    const failed = await runCli(
      txArgs("tx", "datanet", "review", "--from", "validator", "--contribution", "999", "--accept", "--wait", "--json"),
    );
    expect(failed.code).toBe(5);
    const out = JSON.parse(failed.stdout) as { hash: string; code: number; reason: string };
    expect(out).toMatchObject({ code: 16, reason: "NOT_FOUND" });
    const tx = await rpc.call<{ result: { code: number; reason: string } }>("tx_get", { hash: out.hash });
    expect(tx.result).toMatchObject({ code: 16, reason: "NOT_FOUND" });
    expect(JSON.parse(failed.stderr)).toMatchObject({ error: { code: "TX_FAILED", message: expect.stringMatching(/NOT_FOUND \(code 16\)/) } });

    const human = await runCli(txArgs("tx", "datanet", "review", "--from", "validator", "--contribution", "999", "--accept", "--wait"));
    expect(human.code).toBe(5);
    expect(human.stderr).toMatch(/failed in block \d+ with NOT_FOUND \(code 16\): /);
  });
});
