import { existsSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { homePaths, readConfig } from "../../node/config.ts";
import { OplNode } from "../../node/node.ts";
import { signedHeight } from "../../node/signer.ts";
import { readUpgradeHalt, UPGRADE_HALT_EXIT_CODE, upgradeHaltPath } from "../../node/upgrade-halt.ts";
import { walHeight } from "../../node/wal.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { buildTx } from "../../rpc/tx-builder.ts";
import { UpgradeHaltError } from "../../state/upgrades/halt.ts";
import { TEST_UPGRADE_HANDLERS_ENV, upgradeBinary } from "../../state/upgrades/registry.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { runCli } from "../helpers/processes.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * A node reaching a passed upgrade's height without its handler: it stops before that height (no block, no
 * signature, no WAL for it), node_getStatus says why, data/upgrade-halt.json keeps it; started again on the same
 * state it halts at once; started with --unsafe-skip-upgrades for that height it goes on, the plan cleared.
 */
const FEE = DEFAULT_PARAMS.minFee;
const VOTING_BLOCKS = 5;
const BLOCK_MS = 100;
let chain: TestChain;
const fatal: unknown[] = [];

async function send(msg: TxMsg): Promise<number> {
  const account = chain.faucet;
  const built = buildTx(
    { chainId: chain.chainId, publicKey: account.publicKey, nonce: account.nonce++, fee: FEE, msg },
    (m) => account.sign(m),
  );
  const { hash } = await chain.rpc.call<{ hash: string }>("tx_submit", { tx: toBase64(built.bytes) });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const included = await chain.rpc.call<{ height: number; result: { code: number; log: string } }>("tx_get", { hash });
      expect(included.result.code, included.result.log).toBe(0);
      return included.height;
    } catch (err) {
      if (!(err instanceof RpcError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function restart(upgrades = upgradeBinary()): Promise<OplNode> {
  const config = readConfig(homePaths(chain.home).config);
  config.consensus.block_interval_ms = BLOCK_MS;
  return OplNode.start({ home: chain.home, config, logger: pino({ level: "silent" }), upgrades });
}

beforeAll(async () => {
  chain = await startTestChain({
    blockIntervalMs: BLOCK_MS,
    params: (p) => ({ ...p, gov: { ...p.gov, votingPeriodBlocks: VOTING_BLOCKS, minDeposit: 10n * ONE_OPEN } }),
    start: { onFatal: (err) => fatal.push(err) },
  });
});

afterAll(() => {
  chain?.removeHome();
});

describe("halting for a software upgrade", () => {
  it("stops before the height, halts again on restart, and --unsafe-skip-upgrades goes past it", async () => {
    const height = chain.node.app.info().height + VOTING_BLOCKS + 30;
    const submitted = await send({
      type: "submit_proposal",
      title: "v2",
      description: "",
      deposit: 10n * ONE_OPEN,
      content: { kind: "upgrade", name: "v2", height },
    });
    await send({ type: "vote", proposalId: 1, option: "yes", validators: [] });
    await chain.waitForHeight(submitted + VOTING_BLOCKS + 1);
    expect(await chain.rpc.call("gov_getUpgradePlan", {})).toMatchObject({ plan: { name: "v2", height, proposalId: 1 } });
    const scheduled = await chain.rpc.call<{ upgrade: unknown }>("node_getStatus");
    expect(scheduled.upgrade).toEqual({ name: "v2", height, proposalId: 1, status: "scheduled", action: "halt" });

    // The node stops by itself before `height`: nothing of that height is committed, signed or logged.
    await waitFor("the node to halt", () => (fatal.length > 0 ? fatal[0] : undefined));
    const message = `upgrade v2 is scheduled at height ${height}; this binary does not have it`;
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(UpgradeHaltError);
    expect((fatal[0] as Error).message).toBe(message);
    expect(chain.node.app.info().height).toBe(height - 1);
    const paths = homePaths(chain.home);
    expect(signedHeight(paths.signerState)).toBe(height - 1);
    expect(walHeight(paths.wal)).toBe(height - 1);
    const status = await chain.rpc.call<{ latestHeight: number; upgrade: unknown }>("node_getStatus");
    expect(status).toMatchObject({ latestHeight: height - 1 });
    expect(status.upgrade).toEqual({ name: "v2", height, proposalId: 1, status: "halted", message });
    expect(readUpgradeHalt(chain.home)).toEqual({ name: "v2", height, proposalId: 1, status: "halted", message });
    // And through the CLI (the in-process node still serves RPC after halting).
    const [planCli, statusCli] = await Promise.all([
      runCli(["query", "gov", "upgrade-plan", "--name", "v2", "--rpc", chain.node.rpc.url]),
      runCli(["status", "--rpc", chain.node.rpc.url]),
    ]);
    expect(planCli.stdout).toContain(`upgrade v2 at height ${height} (proposal 1)\nv2 was never applied`);
    expect(statusCli.stdout).toMatch(new RegExp(`upgrade: +HALTED: ${message}\n`));
    await chain.node.stop();

    // The same binary started again halts at once, with the same message, and changes nothing.
    await expect(restart()).rejects.toThrow(message);
    // As `opl start` does it: the message, and exit code 10 (UPGRADE_HALT_EXIT_CODE).
    const started = await runCli(["start", "--home", chain.home, "--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"]);
    expect(started.code, started.stderr).toBe(UPGRADE_HALT_EXIT_CODE);
    expect(started.stderr).toContain(message);
    // With the test switch set (for another name, so it still halts): a loud warning names what it registers.
    process.env[TEST_UPGRADE_HANDLERS_ENV] = "v9";
    const switched = await runCli(["start", "--home", chain.home, "--rpc-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0"])
      .finally(() => delete process.env[TEST_UPGRADE_HANDLERS_ENV]);
    expect(switched.code, switched.stderr).toBe(UPGRADE_HALT_EXIT_CODE);
    expect(switched.stdout + switched.stderr).toContain(
      "OPL_TEST_UPGRADE_HANDLERS is set: the TEST-ONLY marker handler is registered for upgrade(s) v9",
    );
    expect(signedHeight(paths.signerState)).toBe(height - 1);
    expect(walHeight(paths.wal)).toBe(height - 1);

    // The operator skips it: the chain goes on past the height, the plan cleared, no handler run.
    const node = await restart(upgradeBinary({ skipHeights: [height] }));
    try {
      expect(existsSync(upgradeHaltPath(chain.home))).toBe(false);
      const rpc = new RpcClient(node.rpc.url);
      await waitFor("the height after the upgrade", () => (node.app.info().height >= height + 1 ? true : undefined));
      expect(await rpc.call("gov_getUpgradePlan", { name: "v2" })).toMatchObject({ plan: null, appliedAt: null });
      expect((await rpc.call<{ upgrade: unknown }>("node_getStatus")).upgrade).toBeNull();
      const results = await rpc.call<{ blockEvents?: { type: string }[] }>("chain_getBlockResults", { height });
      expect(JSON.stringify(results)).toContain("upgrade_skipped");
    } finally {
      await node.stop();
    }
  });
});
