import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner, signedHeight } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { Wal, walHeight } from "../../node/wal.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The consensus driver's side of an upgrade halt (node/node.ts passes ChainApp.upgradeHalt as haltBefore): a
 * height this binary must not take part in is never started (no proposal, vote, signature or WAL of it), and
 * block sync cannot commit a block of it either. The driver stops and reports the halt through onFatal, once.
 */
const HALT_AT = 4;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function startDriver() {
  const t = tempDir("opl-upghalt-");
  createValidatorKey(join(t.dir, "key.json"));
  const key = loadValidatorKey(join(t.dir, "key.json"));
  const app = new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }]);
  const fatal: unknown[] = [];
  const paths = { signer: join(t.dir, "signer.json"), wal: join(t.dir, "cs.wal") };
  const halt = new Error(`upgrade v2 is scheduled at height ${HALT_AT}; this binary does not have it`);
  const driver = new ConsensusDriver({
    app,
    signer: new GuardedSigner(key, paths.signer, join(t.dir, "audit.log")),
    walPath: paths.wal,
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: 0,
    logger: pino({ level: "silent" }),
    haltBefore: (height) => (height === HALT_AT ? halt : undefined),
    onFatal: (err) => fatal.push(err),
  });
  cleanups.push(async () => {
    await driver.stop();
    t.cleanup();
  });
  return { app, driver, fatal, paths, halt };
}

describe("the consensus driver halts before an upgrade's height", () => {
  it("one validator commits up to the height before, then stops without signing or logging the height", async () => {
    const { app, driver, fatal, paths, halt } = startDriver();
    await driver.start();
    await waitFor("the halt", () => (fatal.length > 0 ? true : undefined), 20_000);
    expect(fatal).toEqual([halt]);
    expect(app.committed.map((b) => b.header.height)).toEqual([1, 2, 3]);
    expect(signedHeight(paths.signer)).toBe(HALT_AT - 1);
    expect(walHeight(paths.wal)).toBe(HALT_AT - 1);
    expect(driver.height).toBe(HALT_AT - 1);
  });

  it("block sync cannot commit a block of the height: applySynced rejects with the halt, nothing committed", async () => {
    const { app, driver, halt } = startDriver();
    for (let h = 1; h < HALT_AT; h++) {
      const commit = { height: h, round: 0, blockHash: new Uint8Array(32), signatures: [] };
      await app.commit(smallBlock({ height: h }), commit);
    }
    await expect(driver.applySynced(smallBlock({ height: HALT_AT }), undefined as never)).rejects.toBe(halt);
    expect(app.committed).toHaveLength(HALT_AT - 1);
  });

  it("a WAL left at the height is not replayed: the driver halts before starting the engine there", async () => {
    const { app, driver, fatal, paths, halt } = startDriver();
    for (let h = 1; h < HALT_AT; h++) {
      const commit = { height: h, round: 0, blockHash: new Uint8Array(32), signatures: [] };
      await app.commit(smallBlock({ height: h }), commit);
    }
    // A crash after the height began (e.g. under a binary that had the upgrade, then the old one started again).
    const wal = Wal.open<{ t: "height"; height: number }>(paths.wal);
    await wal.reset([{ t: "height", height: HALT_AT }]);
    await wal.close();
    await driver.start();
    await waitFor("the halt", () => (fatal.length > 0 ? true : undefined), 20_000);
    expect(fatal).toEqual([halt]);
    expect(driver.height).toBeLessThan(HALT_AT); // the engine never started the height
    expect(signedHeight(paths.signer) ?? 0).toBeLessThan(HALT_AT); // nothing of the height signed
    expect(app.committed).toHaveLength(HALT_AT - 1);
  });
});
