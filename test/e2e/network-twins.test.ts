import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { homePaths } from "../../node/config.ts";
import { RpcClient } from "../../rpc/client.ts";
import { createJoiningHome } from "../helpers/joining-home.ts";
import { TestNetwork } from "../helpers/network.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * "Twins": a second process runs node3's validator key, so validator 3 signs two different blocks whenever
 * it proposes, and votes for both. One Byzantine validator of four is within what Tendermint tolerates:
 * the correct nodes never fork, and they detect the equivocation and report it as evidence.
 */
const tmp = tempDir("opl-e2e-twins-");
let net: TestNetwork | undefined;
let twin: NodeProcess | undefined;
afterAll(async () => {
  await twin?.kill();
  await net?.stop();
  tmp.cleanup();
});

interface EvidenceReply {
  count: number;
  evidence: {
    validator: string;
    height: number;
    type: string;
    voteA: { blockHash: string };
    voteB: { blockHash: string };
  }[];
}

describe("twins", () => {
  it("two processes with one validator key: no fork, and the equivocation is reported as evidence", async () => {
    net = await TestNetwork.start({ validators: 4, blockIntervalMs: 200, chainId: "opl-twins-1" });
    const n = net;
    n.startWatchdog({ stallMs: 20_000 });
    const home = join(tmp.dir, "twin");
    await createJoiningHome(home, {
      genesisFrom: n.nodes[0].home,
      peers: n.nodes.map((x) => x.p2p),
      validatorKeyFrom: n.nodes[3].home,
      blockIntervalMs: 200,
    });
    twin = await NodeProcess.start(home);
    const twinRpc = new RpcClient(twin.url);
    const byzantine = encodeAddress(readGenesisFile(homePaths(n.nodes[3].home).genesis).validators[3].address);

    const reports = await waitFor("evidence against validator 3 on every correct node", async () => {
      const replies = await Promise.all([0, 1, 2].map((i) => n.nodes[i].rpc.call<EvidenceReply>("consensus_evidence")));
      return replies.every((r) => r.evidence.some((e) => e.validator === byzantine)) ? replies : undefined;
    }, 180_000);
    for (const r of reports) {
      for (const e of r.evidence) {
        expect(e.validator).toBe(byzantine); // nobody else equivocated
        expect(e.voteA.blockHash).not.toBe(e.voteB.blockHash);
      }
    }

    const h = Math.max(...(await n.heights()).map((x) => x ?? 0));
    await n.waitForHeight(h + 10, { timeoutMs: 120_000 });
    n.assertHealthy();
    const checked = await n.checkIdenticalHeaders();
    expect(checked).toBeGreaterThanOrEqual(h);
    // The twin follows the same chain too: a Byzantine signer, but its node runs the same protocol.
    const twinHeight = (await twinRpc.call<{ latestHeight: number }>("node_status")).latestHeight;
    for (let height = 1; height <= Math.min(twinHeight, checked); height++) {
      const [a, b] = await Promise.all([
        twinRpc.call<{ hash: string }>("chain_getBlock", { height }),
        n.nodes[0].rpc.call<{ hash: string }>("chain_getBlock", { height }),
      ]);
      expect(a.hash, `height ${height}`).toBe(b.hash);
    }
  }, 400_000);
});
