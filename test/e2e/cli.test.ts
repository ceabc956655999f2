import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64 } from "../../crypto/bytes.ts";
import { decodeTx } from "../../proto/tx.ts";
import { type TypedClient, typedClient } from "../../rpc/typed-client.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/** The user's path from a fresh home: init, start, keys, a transfer, and the ways to see it. */
const tmp = tempDir("opl-e2e-cli-");
const home = tmp.dir;
let node: NodeProcess;
let client: TypedClient;

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-e2e-1", "--moniker", "e2e"]);
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).toMatch(/funded account "validator": opl1/);
  setBlockInterval(home, 200);
  node = await NodeProcess.start(home);
  client = typedClient(node.url);
});

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

describe("opl CLI against a running node", () => {
  it("sends OPEN with `tx transfer --wait` and the transfer shows in tx_get, chain_getBlock and account_get", async () => {
    const add = await runCli(["keys", "add", "bob", "--home", home]);
    expect(add.code, add.stderr).toBe(0);
    const bob = add.stdout.trim();
    expect(bob).toMatch(/^opl1[02-9ac-hj-np-z]{38}$/);

    const sent = await runCli([
      "tx",
      "transfer",
      "--home",
      home,
      "--from",
      "validator",
      "--to",
      bob,
      "--amount",
      "2.5",
      "--rpc",
      node.url,
      "--wait",
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    const [hash, includedLine] = sent.stdout.trim().split("\n");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(includedLine).toMatch(/included in block \d+/);

    const tx = await client.tx.get({ hash });
    expect(tx.result.code).toBe(0);
    expect(tx.tx.msg).toEqual({ type: "transfer", to: bob, amount: "2500000000000000000" });
    const block = await client.chain.getBlock({ height: tx.height });
    expect(block.txs).toContain(hash);
    expect(block.header.height).toBe(tx.height);
    const account = await client.account.get({ address: bob });
    expect(account.balance).toBe("2500000000000000000");

    const query = await runCli(["query", "account", bob, "--rpc", node.url]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toMatch(/balance: 2\.5 OPEN \(2500000000000000000 base units\)/);
    const status = await runCli(["status", "--rpc", node.url, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ chainId: "opl-e2e-1", catchingUp: false });

    // What became of the transfer: `opl query tx HASH` (tx_getStatus), readable or --json.
    const fate = await runCli(["query", "tx", hash, "--rpc", node.url]);
    expect(fate.code, fate.stderr).toBe(0);
    expect(fate.stdout).toMatch(new RegExp(`^status: included in block ${tx.height} at index \\d+, code 0 \\(OK\\)$`, "m"));
    const fateJson = await runCli(["query", "tx", hash, "--rpc", node.url, "--json"]);
    expect(JSON.parse(fateJson.stdout)).toMatchObject({ hash, status: "included", height: tx.height, code: 0 });
    const never = await runCli(["query", "tx", "ab".repeat(32), "--rpc", node.url]);
    expect(never.code, never.stderr).toBe(0);
    expect(never.stdout).toMatch(/^status: unknown/m);
    const bad = await runCli(["query", "tx", "nothex", "--rpc", node.url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/64 hex/);
  });

  it("`--sign-only` prints a signed transaction without sending it", async () => {
    const bob = (await runCli(["keys", "show", "bob", "--home", home, "--address"])).stdout.trim();
    const signed = await runCli([
      "tx",
      "transfer",
      "--home",
      home,
      "--from",
      "validator",
      "--to",
      bob,
      "--amount",
      "1",
      "--rpc",
      node.url,
      "--sign-only",
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const tx = decodeTx(fromBase64(signed.stdout.trim()) as Uint8Array);
    expect(tx.body.msg).toMatchObject({ type: "transfer", amount: 10n ** 18n });
    expect(tx.body.chainId).toBe("opl-e2e-1");
    const status = await client.node.getStatus();
    expect(status.mempoolSize).toBe(0);
  });

  it("explains bad input and exits non-zero", async () => {
    const bob = (await runCli(["keys", "show", "bob", "--home", home, "--address"])).stdout.trim();
    const cases: [string[], RegExp][] = [
      [
        [
          "tx",
          "transfer",
          "--home",
          home,
          "--from",
          "validator",
          "--to",
          bob,
          "--amount",
          "1.2.3",
          "--rpc",
          node.url,
        ],
        /not an amount of OPEN/,
      ],
      [
        [
          "tx",
          "transfer",
          "--home",
          home,
          "--from",
          "validator",
          "--to",
          "opl1nope",
          "--amount",
          "1",
          "--rpc",
          node.url,
        ],
        /invalid address/,
      ],
      [
        [
          "tx",
          "transfer",
          "--home",
          home,
          "--from",
          "nobody",
          "--to",
          bob,
          "--amount",
          "1",
          "--rpc",
          node.url,
        ],
        /no key named "nobody"/,
      ],
      [
        [
          "tx",
          "transfer",
          "--home",
          home,
          "--from",
          "bob",
          "--to",
          bob,
          "--amount",
          "100",
          "--rpc",
          node.url,
        ],
        /insufficient funds/,
      ],
      [["keys", "add", "bob", "--home", home], /already exists/],
      [["status", "--rpc", "http://127.0.0.1:1"], /cannot reach the node/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
  });

  it("a second node on the same home is refused (one key, one signer): the home is locked", async () => {
    const second = await runCli(["start", "--home", home, "--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/in use by another process/);
    const status = await client.node.getStatus(); // the first one is unharmed
    expect(status.latestHeight).toBeGreaterThan(0);
  });

  it("every command has --help", async () => {
    const commands = [
      [],
      ["init"],
      ["start"],
      ["keys"],
      ["keys", "add"],
      ["keys", "list"],
      ["keys", "show"],
      ["tx"],
      ["tx", "transfer"],
      ["query"],
      ["query", "account"],
      ["query", "tx"],
      ["status"],
      ["version"],
    ];
    for (const c of commands) {
      const r = await runCli([...c, "--help"]);
      expect(r.code, c.join(" ")).toBe(0);
      expect(r.stdout, c.join(" ")).toMatch(/Usage: opl/);
    }
  });
});
