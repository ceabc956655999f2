import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { RpcClient } from "../../rpc/client.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { TamperingProxy } from "../helpers/tampering-proxy.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * The AI-economy loop through real `opl` processes: a datanet, a contribution reviewed and published, a
 * model trained on it, a paid inference recorded with weights, and the contributor claiming the reward.
 */
const tmp = tempDir("opl-e2e-modules-");
const home = tmp.dir;
let node: NodeProcess;
let rpc: RpcClient;
const addresses: Record<string, string> = {};

interface TxJson {
  hash: string;
  height: number;
  code: number;
  log: string;
  events: { type: string; attributes: Record<string, string> }[];
  id: number | null;
}

const hex = (text: string) => toHex(sha256(new TextEncoder().encode(text)));

/** `opl tx ... --wait --json` as `from`; returns the parsed JSON (and fails the test on a non-zero exit). */
async function tx(args: string[], from = "validator"): Promise<TxJson> {
  const r = await runCli(["tx", ...args, "--home", home, "--from", from, "--rpc", node.url, "--wait", "--json"]);
  expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
  const out = JSON.parse(r.stdout) as TxJson;
  expect(out.code, out.log).toBe(0);
  return out;
}

async function balance(name: string): Promise<bigint> {
  return BigInt((await rpc.call<{ balance: string }>("account_get", { address: addresses[name] })).balance);
}

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-e2e-modules", "--moniker", "e2e"]);
  expect(init.code, init.stderr).toBe(0);
  setBlockInterval(home, 200);
  node = await NodeProcess.start(home);
  rpc = new RpcClient(node.url);
  for (const name of ["bob", "carol"]) {
    const add = await runCli(["keys", "add", name, "--home", home]);
    expect(add.code, add.stderr).toBe(0);
    addresses[name] = add.stdout.trim();
  }
  addresses.validator = (await runCli(["keys", "show", "validator", "--home", home, "--address"])).stdout.trim();
  for (const name of ["bob", "carol"]) {
    await tx(["transfer", "--to", addresses[name], "--amount", "10"]);
  }
});

afterAll(async () => {
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

describe("module transactions through the CLI", () => {
  it("datanet → contribution → review → publish → model → inference → record → claim, with ids and balances", async () => {
    const created = await tx([
      "datanet",
      "create",
      "--name",
      "corpus",
      "--contribution-stake",
      "1",
      "--review-fee",
      "0.1",
      "--license",
      "CC-BY-4.0",
    ]);
    expect(created.id).toBe(1);
    expect(created.events.map((e) => e.type)).toEqual(["fee", "create_datanet"]);

    // update changes only what it is given: the stake and fee stay
    const updated = await tx(["datanet", "update", "--datanet", "1", "--description", "a test corpus"]);
    expect(updated.id).toBe(1);
    expect(await rpc.call("datanet_get", { id: 1 })).toMatchObject({
      description: "a test corpus",
      license: "CC-BY-4.0",
      contributionStake: ONE_OPEN.toString(),
      reviewFee: (ONE_OPEN / 10n).toString(),
    });

    const bobBefore = await balance("bob");
    const contributed = await tx(
      ["datanet", "contribute", "--datanet", "1", "--content-hash", hex("item"), "--uri", "ipfs://item", "--size", "4"],
      "bob",
    );
    expect(contributed.id).toBe(1);
    expect(contributed.events[1].attributes).toMatchObject({ stake: ONE_OPEN.toString(), content_hash: hex("item") });
    expect(await balance("bob")).toBe(bobBefore - ONE_OPEN - 10n ** 15n); // stake locked, fee paid

    expect((await tx(["datanet", "review", "--contribution", "1", "--accept"])).id).toBe(1);
    const published = await tx(["datanet", "publish", "--datanet", "1"]);
    expect(published.id).toBeNull();
    expect(published.events[1]).toMatchObject({ type: "publish_version", attributes: { version: "1", count: "1" } });

    const model = await tx([
      "model",
      "register",
      "--name",
      "m",
      "--base-model",
      "llama",
      "--weights-hash",
      hex("weights"),
      "--uri",
      "ipfs://weights",
      "--trained-on",
      "1/1",
      "--price",
      "1",
    ]);
    expect(model.id).toBe(1);

    const carolBefore = await balance("carol");
    const paid = await tx(["inference", "pay", "--model", "1", "--request-hash", hex("request")], "carol");
    expect(paid.id).toBe(1);
    expect(await balance("carol")).toBe(carolBefore - ONE_OPEN - 10n ** 15n);

    const recorded = await tx([
      "attribution",
      "record",
      "--inference",
      "1",
      "--output-hash",
      hex("output"),
      "--weight",
      "contribution:1=1000000",
    ]);
    expect(recorded.id).toBe(1);
    expect(recorded.events[1].attributes).toMatchObject({ price: ONE_OPEN.toString(), recipients: "1" });

    // 60% of the price is the data share, all of it weighted to bob's contribution
    const share = (ONE_OPEN * 6n) / 10n;
    const rewards = await runCli(["query", "attribution", "rewards", addresses.bob, "--rpc", node.url, "--json"]);
    expect(JSON.parse(rewards.stdout)).toMatchObject({
      accrued: share.toString(),
      breakdown: [{ source: "contribution", id: 1, amount: share.toString() }],
    });
    const bobBeforeClaim = await balance("bob");
    const claimed = await tx(["rewards", "claim"], "bob");
    expect(claimed.id).toBeNull();
    expect(claimed.events[1]).toMatchObject({ type: "claim_rewards", attributes: { amount: share.toString() } });
    expect(await balance("bob")).toBe(bobBeforeClaim + share - 10n ** 15n);
    // funded 10, paid two fees, the stake came back at acceptance, and the reward came in
    expect(await balance("bob")).toBe(10n * ONE_OPEN - 2n * 10n ** 15n + share);
  });

  it("--prove verifies every kind of record the loop made, from the genesis file", async () => {
    const validator = (await rpc.call<{ items: { operator: string }[] }>("staking_getValidators", {})).items[0].operator;
    const queries: [string[], Record<string, unknown>][] = [
      [["datanet", "get", "1"], { id: 1 }],
      [["datanet", "version", "1", "1"], { datanetId: 1, version: 1 }],
      [["model", "get", "1"], { id: 1 }],
      [["attribution", "inference", "1"], { id: 1, modelId: 1 }],
      [["attribution", "rewards", addresses.bob], { address: addresses.bob }],
      [["attribution", "earnings", "--contribution", "1"], { kind: "contribution", id: 1 }],
      [["attribution", "payouts", "1"], { inferenceId: 1, contributions: [{ contributionId: 1, contributor: addresses.bob }] }],
      [["staking", "validator", validator], { operator: validator }],
      [["staking", "stake", addresses.validator, "--validator", validator], { delegator: addresses.validator }],
    ];
    const results = await Promise.all(
      queries.map(([args]) => runCli(["query", ...args, "--rpc", node.url, "--home", home, "--prove", "--json"])),
    );
    results.forEach((r, i) => {
      expect(r.code, `${queries[i][0].join(" ")}: ${r.stderr}`).toBe(0);
      const { verified } = JSON.parse(r.stdout) as { verified: { present: boolean; value: Record<string, unknown> } };
      expect(verified.present, queries[i][0].join(" ")).toBe(true);
      expect(verified.value, queries[i][0].join(" ")).toMatchObject(queries[i][1]);
    });
  });

  it("human output: --wait reports the events; queries print short lines", async () => {
    const r = await runCli([
      "tx", "datanet", "create", "--name", "second", "--home", home, "--from", "bob", "--rpc", node.url, "--wait",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const [hash, included, event] = r.stdout.trimEnd().split("\n");
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(included).toMatch(/^included in block \d+ \(index \d+\)$/);
    expect(event).toMatch(/^ {2}create_datanet id=2 owner=opl1\S+ name=second$/);

    const query = (args: string[]) => runCli(["query", ...args, "--rpc", node.url]);
    const prove = await query(["datanet", "prove", "1", "1", "1"]);
    expect(prove.code, prove.stderr).toBe(0);
    expect(prove.stdout).toMatch(/contribution 1 is leaf 0 of 1/);
    expect(prove.stdout).toMatch(/checked here: the proof leads from the content hash to the root/);
    const provedAt = /the root is the version record.s, proved at height \d+ against state root [0-9a-f]{64}/;
    expect(prove.stdout).toMatch(provedAt);
    const proved = await runCli(["query", "datanet", "prove", "1", "1", "1", "--rpc", node.url, "--home", home, "--prove"]);
    expect(proved.code, proved.stderr).toBe(0);
    expect(proved.stdout).toMatch(/checked here: the proof leads from the content hash to the root/);
    expect(proved.stdout).toMatch(/^verified: this value at height \d+, by a state proof under state root \w{64}$/m);
    // A lying node answers for a contribution that does not exist with contribution 1's true proofs.
    const proxy = await TamperingProxy.start(node.url);
    try {
      const truth = await rpc.call<Record<string, unknown>>("datanet_proveMembership", {
        datanetId: 1, version: 1, contributionId: 1,
      });
      proxy.overrideRefusal = (method) => (method === "datanet_proveMembership" ? { ...truth, contributionId: 77 } : undefined);
      const lie = await runCli(["query", "datanet", "prove", "1", "1", "77", "--rpc", proxy.url, "--home", home, "--prove"]);
      expect(lie.code).toBe(1);
      expect(lie.stderr).toMatch(/does not verify: the proof is for state key \w+, not \w+ \(the key asked for\)/);
      expect(lie.stdout).not.toMatch(/verified/);
    } finally {
      await proxy.stop();
    }
    const list = await query(["datanet", "list", "--limit", "1"]);
    const [first, more] = list.stdout.trimEnd().split("\n");
    expect(first).toMatch(/^#1 "corpus" owner opl1\S+: 1 contributions, 1 accepted, 1 versions$/);
    expect(more).toMatch(/^more: --cursor [0-9a-f]{16}$/);
    const cursor = /--cursor ([0-9a-f]+)/.exec(list.stdout)?.[1] as string;
    const next = await query(["datanet", "list", "--limit", "1", "--cursor", cursor]);
    expect(next.stdout).toMatch(/^#2 "second"/);
    const params = await query(["chain", "params"]);
    expect(params.stdout).toMatch(/staking\.minSelfStake: +1 OPEN/);
    const model = await query(["model", "get", "1"]);
    expect(model.stdout).toMatch(/price: +1 OPEN/);
    const earnings = await query(["attribution", "earnings", "--datanet", "1"]);
    expect(earnings.stdout.trim()).toBe("datanet 1 earned 0.6 OPEN");
    const payouts = await query(["attribution", "payouts", "1"]);
    expect(payouts.stdout).toMatch(/^inference 1: 1 OPEN, recorded at height \d+$/m);
    expect(payouts.stdout).toMatch(/^ {2}treasury: 0\.1 OPEN$/m);
    expect(payouts.stdout).toMatch(new RegExp(`^ {2}contribution 1 \\(weight 0\\) ${addresses.bob}: 0\\.6 OPEN$`, "m"));
    const validators = await query(["staking", "validators"]);
    expect(validators.stdout).toMatch(new RegExp(`^${addresses.validator} "e2e" 1000 OPEN power 1000000 active\n$`));
  });

  it("a failed transaction exits non-zero with the chain's log, in JSON too", async () => {
    const r = await runCli([
      "tx", "datanet", "publish", "--datanet", "1", "--home", home, "--from", "bob", "--rpc", node.url, "--wait", "--json",
    ]);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 17, id: null, log: expect.stringMatching(/not a curator/) });
    expect(r.stderr).toMatch(/not a curator of datanet 1/);
    const missing = await runCli(["query", "model", "get", "9", "--rpc", node.url]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/model 9 does not exist \[NOT_FOUND/);
    const badWeight = await runCli([
      "tx", "attribution", "record", "--inference", "1", "--output-hash", hex("x"), "--weight", "contribution:1",
      "--home", home, "--from", "validator", "--rpc", node.url,
    ]);
    expect(badWeight.code).not.toBe(0);
    expect(badWeight.stderr).toMatch(/--weight must be contribution:ID=PPM or datanet:ID\/VERSION=PPM/);
  });

  it("--help of every group lists its actions", async () => {
    const groups: [string[], string[]][] = [
      [["tx"], ["transfer", "staking", "datanet", "model", "inference", "attribution", "rewards"]],
      [["tx", "staking"], ["create-validator", "stake", "unstake", "unjail"]],
      [["tx", "datanet"], ["create", "update", "contribute", "review", "slash", "publish"]],
      [["tx", "model"], ["register", "publish-version", "set-price", "set-operators", "retire"]],
      [["tx", "inference"], ["pay"]],
      [["tx", "attribution"], ["record"]],
      [["tx", "rewards"], ["claim"]],
      [["query"], ["account", "staking", "datanet", "model", "attribution", "chain", "tx"]],
      [["query", "staking"], ["validators", "validator", "stake"]],
      [["query", "datanet"], ["get", "list", "contributions", "version", "prove"]],
      [["query", "model"], ["get", "list"]],
      [["query", "attribution"], ["inference", "inferences", "payouts", "rewards", "earnings"]],
      [["query", "chain"], ["params"]],
    ];
    for (const [group, actions] of groups) {
      const r = await runCli([...group, "--help"]);
      expect(r.code, group.join(" ")).toBe(0);
      for (const a of actions) expect(r.stdout, `${group.join(" ")} ${a}`).toMatch(new RegExp(`^ {2}${a}\\b`, "m"));
    }
    const leaf = await runCli(["tx", "datanet", "contribute", "--help"]);
    expect(leaf.stdout).toMatch(/--content-hash <hex>/);
    expect(leaf.stdout).toMatch(/--json/);
  });
});
