import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcClient } from "../../rpc/client.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { LiedError, TamperingProxy } from "../helpers/tampering-proxy.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * `opl query ... --prove` against a real node, and against the same node behind a proxy that lies: every lie
 * a light client must catch (a wrong value, a proof for another key, a header signed by too little power, a
 * forged signature, a header other than the trusted one) is refused with a message naming it, and nothing
 * is printed as if it were verified.
 */
const tmp = tempDir("opl-e2e-prove-");
const home = tmp.dir;
let node: NodeProcess;
let proxy: TamperingProxy;
let rich: string;
let nobody: string;

type Json = Record<string, unknown>;

/** The state_getProof answer inside a get method's answer (prove: true). */
function proofOf(result: unknown): Json {
  return (result as { proof: Json }).proof;
}

function flipHexByte(hex: string, at = 0): string {
  const byte = (parseInt(hex.slice(at * 2, at * 2 + 2), 16) ^ 0x01).toString(16).padStart(2, "0");
  return hex.slice(0, at * 2) + byte + hex.slice(at * 2 + 2);
}

async function query(args: string[], url = node.url) {
  return runCli(["query", ...args, "--rpc", url, "--home", home, "--prove"]);
}

beforeAll(async () => {
  const init = await runCli(["init", "--home", home, "--chain-id", "opl-prove-1", "--moniker", "prove"]);
  expect(init.code, init.stderr).toBe(0);
  rich = /funded account "validator": (opl1\w+)/.exec(init.stdout)?.[1] as string;
  nobody = (await runCli(["keys", "add", "nobody", "--home", home])).stdout.trim();
  setBlockInterval(home, 200);
  node = await NodeProcess.start(home);
  const rpc = new RpcClient(node.url);
  // A few blocks, so the proof's height is above the genesis set's first header.
  for (let i = 0; i < 100; i++) {
    if ((await rpc.call<{ height: number }>("account_get", { address: rich })).height >= 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proxy = await TamperingProxy.start(node.url);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await node?.kill("SIGTERM");
  tmp.cleanup();
});

describe("opl query --prove", () => {
  it("verifies an account's balance from the genesis file and says what it checked", async () => {
    const out = await query(["account", rich]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^balance: +[\d.]+ OPEN$/m);
    expect(out.stdout).toMatch(/^verified: this value at height \d+, by a state proof under state root [0-9a-f]{64}$/m);
    expect(out.stdout).toMatch(/signed by more than 2\/3 of its validators; headers checked from genesis/);
  });

  it("proves an address that has nothing is absent", async () => {
    const out = await query(["account", nobody]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^absent$/m);
    expect(out.stdout).toMatch(/^verified: that the key is absent at height \d+/m);
  });

  it("starts from a trusted height and header hash instead of genesis", async () => {
    const rpc = new RpcClient(node.url);
    const block = await rpc.call<{ headerHash: string }>("light_getBlock", { height: 2 });
    const out = await runCli([
      "query", "account", rich, "--rpc", node.url, "--prove", "--trust-height", "2", "--trust-hash", block.headerHash,
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`headers checked from height 2 \\(${block.headerHash}\\)`));
    const wrong = await runCli([
      "query", "account", rich, "--rpc", node.url, "--prove", "--trust-height", "2", "--trust-hash", flipHexByte(block.headerHash),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not verify: the header at height 2 hashes to \w{64}, not the trusted hash/);
  });

  it("proves the chain params: genesis's while no change is in force, and refuses a record claimed present", async () => {
    proxy.tamper = (_m, _p, r) => r;
    const out = await query(["chain", "params"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^attribution\.protocolSharePpm: +100000$/m);
    expect(out.stdout).toMatch(/^params in force: the params of .*genesis\.json$/m);
    expect(out.stdout).toMatch(/^verified: that the key is absent at height \d+/m);
    proxy.tamper = (method, _params, result) => {
      if (method !== "state_getProof") return result;
      const forged = JSON.stringify({ minFee: "1" });
      Object.assign(result as Json, { valueBytes: Buffer.from(forged).toString("hex"), value: JSON.parse(forged) });
      return result;
    };
    const lie = await query(["chain", "params"], proxy.url);
    expect(lie.code).toBe(1);
    expect(lie.stderr).toMatch(/^error: the node's answer does not verify: .*/m);
    expect(lie.stdout).not.toMatch(/verified|minFee/);
    // From a trusted hash, without the genesis file, an absent record cannot be answered: say what is missing.
    proxy.tamper = (_m, _p, r) => r;
    const block = await new RpcClient(node.url).call<{ headerHash: string }>("light_getBlock", { height: 2 });
    const bare = await runCli([
      "query", "chain", "params", "--rpc", node.url, "--prove", "--trust-height", "2", "--trust-hash", block.headerHash,
    ]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/the genesis params are in force.*give --genesis FILE/);
  });

  it("refuses a wrong value", async () => {
    proxy.tamper = (method, _params, result) => {
      if (method !== "account_get") return result;
      const proof = proofOf(result);
      proof.valueBytes = flipHexByte(proof.valueBytes as string, (proof.valueBytes as string).length / 2 - 1);
      return result;
    };
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^error: the node's answer does not verify: .*/m);
    expect(out.stdout).not.toMatch(/verified/);
  });

  it("refuses a proof for another key", async () => {
    const rpc = new RpcClient(node.url);
    const other = await rpc.call<Json>("account_get", { address: nobody, prove: true });
    proxy.tamper = (method, _params, result) =>
      method === "account_get" ? { ...(result as Json), proof: proofOf(other) } : result;
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not verify: the proof is for state key \w+, not \w+ \(the key asked for\)/);
  });

  it("refuses a header signed by too little power", async () => {
    proxy.tamper = (method, _params, result) => {
      if (method === "light_getBlock") ((result as Json).commit as Json).signatures = [];
      if (method === "account_get") (proofOf(result).commit as Json).signatures = [];
      return result;
    };
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not verify: .*power/);
  });

  it("refuses a forged signature", async () => {
    proxy.tamper = (method, _params, result) => {
      if (method !== "light_getBlock") return result;
      const sigs = ((result as Json).commit as Json).signatures as Json[];
      sigs[0].signature = flipHexByte(sigs[0].signature as string);
      return result;
    };
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not verify: .*signature/i);
  });

  it("refuses a changed state root even with a proof that matches it", async () => {
    // The proxy serves a proof of a made-up value under a made-up root: the header that would carry it is
    // not the one the validators signed.
    proxy.tamper = (method, _params, result) => {
      if (method !== "account_get") return result;
      const proof = proofOf(result);
      (proof.header as Json).stateRoot = flipHexByte((proof.header as Json).stateRoot as string);
      return result;
    };
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not verify: /);
  });

  it("--json prints only what was verified, not the node's own fields", async () => {
    proxy.tamper = (method, _params, result) =>
      method === "account_get" ? { ...(result as Json), balance: "999999999999999999999999" } : result;
    const out = await query(["account", rich, "--json"], proxy.url);
    expect(out.code, out.stderr).toBe(0);
    const printed = JSON.parse(out.stdout) as Json;
    expect(Object.keys(printed)).toEqual(["verified"]);
    expect((printed.verified as { value: { balance: string } }).value.balance).not.toBe("999999999999999999999999");
  });

  it("refuses an answer for another height than --height (a replayed old proof)", async () => {
    const rpc = new RpcClient(node.url);
    const old = await rpc.call<Json & { height: number }>("account_get", { address: rich, prove: true });
    const asked = old.height + 1;
    // Whether or not the node can prove height `asked`, the proxy answers with the older proof.
    proxy.tamper = (method, _params, result) => (method === "account_get" ? old : result);
    proxy.overrideRefusal = (method) => (method === "account_get" ? old : undefined);
    const out = await query(["account", rich, "--height", String(asked)], proxy.url);
    proxy.overrideRefusal = () => undefined;
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(`does not verify: the answer is for height ${old.height}, not the height asked for (${asked})`);
  });

  it("checks a node's 'not found': a record that exists cannot be denied", async () => {
    proxy.tamper = (method, _params, result) =>
      method === "account_get" ? new LiedError(2004, "no such account", { reason: "NOT_FOUND" }) : result;
    const out = await query(["account", rich], proxy.url);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/the node answered "no such account", but the state at height \d+ proves the key/);
  });

  it("refuses a trusted point older than the trusting period (the long-range attack)", async () => {
    proxy.tamper = (_m, _p, r) => r;
    const out = await query(["account", rich, "--trusting-period", "1"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/the trusted header at height 0 .* is older than the trusting period of 1 s/);
  });

  it("says --prove needs a starting point, and that lists are not proven", async () => {
    proxy.tamper = (_m, _p, r) => r;
    const bare = await runCli(["query", "account", rich, "--rpc", node.url, "--prove"]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(/--prove needs a starting point to trust: --genesis FILE/);
    const list = await runCli(["query", "model", "list", "--rpc", node.url, "--prove"]);
    expect(list.code).toBe(2); // a usage error (bin/cli-util.ts EXIT.USAGE)
    expect(list.stderr).toMatch(/unknown option '--prove'/);
  });
});
