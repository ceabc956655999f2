import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readU64be, toBase64, toHex } from "../../crypto/bytes.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcError } from "../../rpc/errors.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { homePaths } from "../../node/config.ts";
import { signedHeight } from "../../node/signer.ts";
import { UPGRADE_HALT_EXIT_CODE, upgradeHaltPath } from "../../node/upgrade-halt.ts";
import { TEST_UPGRADE_HANDLERS_ENV, testMarkerKey } from "../../state/upgrades/registry.ts";
import { TestNetwork } from "../helpers/network.ts";
import { runCli } from "../helpers/processes.ts";

/**
 * A software upgrade on a devnet of four validators, each a real `opl start` process, driven as operators
 * would: `opl tx gov submit-proposal --upgrade`, the four validators' operators vote yes. At the
 * upgrade's height every node stops by itself before the block (none signs or commits it), logs the message,
 * exits with code 10, and `opl status --home` of the stopped node says why. Restarted with a binary that has the
 * handler (OPL_TEST_UPGRADE_HANDLERS), the chain goes on past the height and the handler ran exactly once.
 */
const NAME = "v2";
const VOTING_BLOCKS = 20;
let net: TestNetwork;

function cli(args: string[]) {
  return runCli([...args, "--home", net.dir, "--rpc", net.nodes[0].url]);
}

beforeAll(async () => {
  net = await TestNetwork.start({
    validators: 4,
    blockIntervalMs: 200,
    chainId: "opl-e2e-upgrade",
    // A vote of 20 blocks (4 s) and a 10 OPEN deposit; the same file in every home.
    prepare: (home) => {
      const path = homePaths(home).genesis;
      const genesis = JSON.parse(readFileSync(path, "utf8"));
      genesis.params.gov = { ...genesis.params.gov, votingPeriodBlocks: VOTING_BLOCKS, minDeposit: "10000000000000000000" };
      writeFileSync(path, JSON.stringify(genesis, null, 2));
    },
  });
}, 90_000);

afterAll(async () => {
  await net?.stop();
});

describe("a software upgrade on a 4-validator devnet", () => {
  it("all four stop before the height; restarted with the handler the chain goes on and the handler ran once", async () => {
    await net.waitForHeight(2);
    const start = (await net.heights())[0] ?? 0;
    // Room for the submission (a CLI process: seconds on a loaded machine), the vote, and a few blocks after.
    const height = start + VOTING_BLOCKS + 40;
    const submit = await cli([
      "tx", "gov", "submit-proposal", "--title", "upgrade to v2", "--upgrade", NAME, "--upgrade-height", String(height),
      "--deposit", "10", "--from", "faucet", "--wait", "--json",
    ]);
    expect(submit.code, submit.stdout + submit.stderr).toBe(0);
    expect((JSON.parse(submit.stdout) as { code: number }).code).toBe(0);
    // The four validators' operators vote yes, signed here and sent over RPC: four CLI processes at once take
    // longer than the vote lasts on a loaded machine (test/e2e/gov-cli.test.ts covers `opl tx gov vote`).
    await Promise.all(net.nodes.map((n) => vote(n.index, net.account(n.name))));

    // Once passed, every node shows the plan it is about to halt for.
    const plan = await waitForPlan();
    expect(plan).toEqual({ plan: { name: NAME, height, proposalId: 1 }, height: expect.any(Number) });
    const status = await net.nodes[1].rpc.call<{ upgrade: unknown }>("node_getStatus");
    expect(status.upgrade).toEqual({ name: NAME, height, proposalId: 1, status: "scheduled", action: "halt" });

    // Every node exits by itself, with the halt's exit code, before committing or signing `height`.
    net.expectProgress(false);
    const codes = await Promise.all(net.nodes.map((n) => n.process?.exited()));
    const haltedAt = Date.now();
    expect(codes).toEqual(net.nodes.map(() => UPGRADE_HALT_EXIT_CODE));
    const message = `upgrade ${NAME} is scheduled at height ${height}; this binary does not have it`;
    for (const n of net.nodes) {
      expect(n.logs.some((line) => line.includes(message)), `${n.name}'s log has the message`).toBe(true);
      const committed = n.logs.map((line) => JSON.parse(line) as { msg?: string; height?: number })
        .filter((e) => e.msg === "committed block").map((e) => e.height ?? 0);
      expect(Math.max(...committed), `${n.name} committed nothing at ${height}`).toBeLessThan(height);
      expect(signedHeight(homePaths(n.home).signerState), `${n.name} signed nothing at ${height}`).toBeLessThan(height);
      expect(existsSync(upgradeHaltPath(n.home))).toBe(true);
    }
    // The stopped node's status, from its home.
    const stopped = await runCli(["status", "--home", net.nodes[2].home]);
    expect(stopped.code).toBe(3);
    expect(stopped.stdout).toContain(`stopped: ${message}`);

    // The new binary: every node restarted with the handler registered.
    await Promise.all(net.nodes.map((n) => net.restart(n.index, { env: { [TEST_UPGRADE_HANDLERS_ENV]: NAME } })));
    net.expectProgress(true);
    await net.waitForHeight(height + 2, { timeoutMs: 60_000 });
    // Block `height` was made after the halt, by the new binary.
    const block = await net.nodes[0].rpc.call<{ header: { time: string } }>("chain_getBlock", { height });
    expect(Date.parse(block.header.time)).toBeGreaterThan(haltedAt);
    for (const n of net.nodes) {
      expect(await n.rpc.call("gov_getUpgradePlan", { name: NAME })).toMatchObject({ plan: null, appliedAt: height });
      const marker = await n.rpc.call<{ valueBytes: string | null }>("state_getProof", { key: { raw: toHex(testMarkerKey(NAME)) } });
      expect(marker.valueBytes, `${n.name}: the handler's marker`).not.toBeNull();
      expect(readU64be(Buffer.from(marker.valueBytes as string, "hex")), "the handler ran once").toBe(1);
      expect((await n.rpc.call<{ upgrade: unknown }>("node_getStatus")).upgrade).toBeNull();
      expect(existsSync(upgradeHaltPath(n.home))).toBe(false);
    }
    expect(await net.checkIdenticalHeaders()).toBeGreaterThanOrEqual(height + 2);
  }, 120_000);
});

/** Sends operator `i`'s yes on proposal 1 to its own node and waits until it is in a block, successful. */
async function vote(i: number, operator: TestAccount): Promise<void> {
  const msg: TxMsg = { type: "vote", proposalId: 1, option: "yes", validators: [] };
  const built = buildTx(
    { chainId: net.chainId, publicKey: operator.publicKey, nonce: operator.nonce++, fee: DEFAULT_PARAMS.minFee, msg },
    (m) => operator.sign(m),
  );
  const rpc = net.nodes[i].rpc;
  const { hash } = await rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(built.bytes) });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const included = await rpc.call<{ result: { code: number; log: string } }>("tx_get", { hash });
      expect(included.result.code, included.result.log).toBe(0);
      return;
    } catch (err) {
      if (!(err instanceof RpcError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** gov_getUpgradePlan once the proposal passed (polled: its vote ends VOTING_BLOCKS after submission). */
async function waitForPlan(): Promise<unknown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await net.nodes[0].rpc.call<{ plan: unknown }>("gov_getUpgradePlan", {});
    if (answer.plan !== null || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 200));
  }
}
