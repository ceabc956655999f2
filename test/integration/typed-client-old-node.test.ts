import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcError } from "../../rpc/rpc-error.ts";
import { typedClient } from "../../rpc/typed-client.ts";
import { runCli } from "../helpers/processes.ts";

/**
 * The typed client (and the CLI on it) against a node from before the method renames, which answers
 * node_getStatus, node_getPeers, consensus_getState and consensus_getEvidence with -32601 "Method not found"
 * and knows them as node_status, node_peers, consensus_state and consensus_evidence: the client retries such a
 * call once under the old name and, having learnt the node is old, calls the old names from then on. A real
 * HTTP server stands in for the old node: it knows only the names given, and notes every name it is asked.
 */

const STATUS = { chainId: "opl-old-1", nodeId: "12D3KooWOld", moniker: "old", latestHeight: 41, catchingUp: false, upgrade: null };
const ANSWERS: Record<string, unknown> = {
  node_status: STATUS,
  node_getStatus: STATUS,
  node_peers: { count: 0, peers: [] },
  consensus_state: { height: 42, round: 0 },
  consensus_evidence: { pending: [] },
  chain_getBlock: { error: { code: -32602, message: "Invalid params: give exactly one of height or hash" } },
};

/** A JSON-RPC server over real HTTP answering only `known` (the rest: -32601), and the names it was asked. */
async function fakeNode(known: readonly string[]): Promise<{ url: string; asked: string[]; server: Server }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const call = JSON.parse(body) as { id: number; method: string };
      asked.push(call.method);
      const answer = ANSWERS[call.method] as { error?: unknown } | undefined;
      const reply = !known.includes(call.method)
        ? { error: { code: -32601, message: `Method not found: ${call.method}` } }
        : answer?.error !== undefined ? { error: answer.error } : { result: answer };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, ...reply }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server };
}

const servers: Server[] = [];
let old: Awaited<ReturnType<typeof fakeNode>>;
let current: Awaited<ReturnType<typeof fakeNode>>;

beforeAll(async () => {
  old = await fakeNode(["node_status", "node_peers", "consensus_state", "consensus_evidence", "chain_getBlock"]);
  current = await fakeNode(["node_getStatus", "chain_getBlock"]);
  servers.push(old.server, current.server);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("the typed client against a node that knows only the old names", () => {
  it("retries a renamed method once under its old name, then calls the old names only", async () => {
    old.asked.length = 0;
    const client = typedClient(old.url);
    expect(await client.node.getStatus()).toEqual(STATUS);
    expect(old.asked).toEqual(["node_getStatus", "node_status"]);
    // The client remembers the node is old: every renamed method goes to its old name at once.
    expect(await client.node.getStatus()).toEqual(STATUS);
    expect(await client.node.getPeers()).toEqual({ count: 0, peers: [] });
    expect(await client.consensus.getState()).toEqual({ height: 42, round: 0 });
    expect(await client.call("consensus_getEvidence")).toEqual({ pending: [] });
    expect(old.asked).toEqual(["node_getStatus", "node_status", "node_status", "node_peers", "consensus_state", "consensus_evidence"]);
    // Each client learns for itself (another may talk to another node).
    old.asked.length = 0;
    await typedClient(old.url).consensus.getState();
    expect(old.asked).toEqual(["consensus_getState", "consensus_state"]);
  });

  it("retries nothing else: another method's -32601 or a renamed method's other errors are the node's answer", async () => {
    old.asked.length = 0;
    const client = typedClient(old.url);
    const missing = await client.datanet.get({ id: 1 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RpcError);
    expect(missing).toMatchObject({ code: -32601 });
    const invalid = await client.chain.getBlock({ height: 1 }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: -32602 });
    expect(old.asked).toEqual(["datanet_get", "chain_getBlock"]);
  });
});

describe("the typed client against a current node", () => {
  it("calls the new name only", async () => {
    current.asked.length = 0;
    const client = typedClient(current.url);
    expect(await client.node.getStatus()).toEqual(STATUS);
    expect(await client.node.getStatus()).toEqual(STATUS);
    expect(current.asked).toEqual(["node_getStatus", "node_getStatus"]);
  });

  it("a node that knows neither name answers the new name's -32601", async () => {
    current.asked.length = 0;
    const err = await typedClient(current.url).consensus.getState().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32601, message: "Method not found: consensus_getState" });
    expect(current.asked).toEqual(["consensus_getState", "consensus_state"]);
  });
});

describe("opl status against an old node", () => {
  it("shows the old node's status", async () => {
    const json = await runCli(["status", "--rpc", old.url, "--json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(STATUS);
  }, 30_000);
});
