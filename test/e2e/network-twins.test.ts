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
 * the correct nodes never fork, they detect the equivocation and report it as evidence, a block commits the
 * evidence, staking slashes and jails validator 3 for good, and the chain goes on with the other three.
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
  it("two processes with one validator key: no fork, evidence, the double-signer slashed, the chain goes on", async () => {
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
      const replies = await Promise.all([0, 1, 2].map((i) => n.nodes[i].rpc.call<EvidenceReply>("consensus_getEvidence")));
      return replies.every((r) => r.evidence.some((e) => e.validator === byzantine)) ? replies : undefined;
    }, 180_000);
    for (const r of reports) {
      for (const e of r.evidence) {
        expect(e.validator).toBe(byzantine); // nobody else equivocated
        expect(e.voteA.blockHash).not.toBe(e.voteB.blockHash);
      }
    }

    // The evidence goes into a block, which slashes validator 3 (5% of its bond, to the treasury) and jails
    // it for good; from two heights later the chain runs on the three others.
    const genesis = readGenesisFile(homePaths(n.nodes[0].home).genesis);
    const operator = encodeAddress(genesis.validators[3].operator);
    const slashed = await waitFor("validator 3 slashed", async () => {
      const v = await n.nodes[0].rpc.call<{ tombstoned: boolean; jailed: boolean; slashed: string }>(
        "staking_getValidator",
        { address: operator },
      );
      return v.tombstoned ? v : undefined;
    }, 120_000);
    const selfStake = genesis.validators[3].selfStake;
    expect(slashed).toMatchObject({ tombstoned: true, jailed: true, slashed: String(selfStake / 20n) });
    // Read from the node that showed the slash: another may still be a block behind it.
    const supply = await n.nodes[0].rpc.call<{ treasury: string; height: number }>("bank_getSupply");
    expect(BigInt(supply.treasury)).toBeGreaterThanOrEqual(selfStake / 20n);
    // The block that committed the evidence: the first whose treasury holds the slash.
    let slashHeight = supply.height;
    while (slashHeight > 1) {
      const before = await n.nodes[0].rpc.call<{ treasury: string }>("bank_getSupply", { height: slashHeight - 1 });
      if (BigInt(before.treasury) === 0n) break;
      slashHeight--;
    }
    // From node 0 too: it has that block (it showed the slash); another node may not have it yet.
    const evidenceBlock = await n.nodes[0].rpc.call<{
      evidence: { validator: string }[];
      events: { type: string; attributes: Record<string, string> }[];
    }>("chain_getBlock", { height: slashHeight });
    expect(evidenceBlock.evidence.map((e) => e.validator)).toContain(byzantine);
    expect(evidenceBlock.events.filter((e) => e.type === "slash").map((e) => e.attributes.validator)).toEqual([
      operator,
    ]);

    const h = Math.max(...(await n.heights()).map((x) => x ?? 0), slashHeight + 3);
    await n.waitForHeight(h + 10, { timeoutMs: 120_000 });
    for (let height = slashHeight + 3; height <= h + 10; height++) {
      const b = await n.nodes[0].rpc.call<{ commit: { signatures: { validator: string }[] } }>("chain_getBlock", {
        height,
      });
      const signers = b.commit.signatures.map((s) => s.validator);
      expect(signers, `height ${height}`).not.toContain(byzantine);
      expect(signers.length, `height ${height}`).toBe(3);
    }
    n.assertHealthy();
    const checked = await n.checkIdenticalHeaders();
    expect(checked).toBeGreaterThanOrEqual(h);
    // The twin follows the same chain too: a Byzantine signer, but its node runs the same protocol.
    const twinHeight = (await twinRpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
    for (let height = 1; height <= Math.min(twinHeight, checked); height++) {
      const [a, b] = await Promise.all([
        twinRpc.call<{ hash: string }>("chain_getBlock", { height }),
        n.nodes[0].rpc.call<{ hash: string }>("chain_getBlock", { height }),
      ]);
      expect(a.hash, `height ${height}`).toBe(b.hash);
    }
  }, 400_000);
});
