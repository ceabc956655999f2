import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner, readSignerState } from "../../node/signer.ts";
import { shadowPathOf } from "../../node/signer-state-store.ts";
import { walHeight } from "../../node/wal.ts";
import { createValidatorKey, loadValidatorKey, type ValidatorKey } from "../../node/validator-key.ts";
import { blockHash, type Commit } from "../../proto/block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The consensus WAL moves to the next height's file when a block is committed, not when the next height
 * starts: the file's replacement (fsyncs and a close on libuv's thread pool, which RPC's database reads
 * share) runs while the node waits out the block interval, instead of between the interval's timer and the
 * next proposal's time (under heavy RPC it added tens of ms to every block: test/e2e/rpc-abuse.test.ts).
 * A single-validator chain on real files with a one-minute interval: once height 1 is committed, the file
 * belongs to height 2 while the interval still runs; a node that crashes then replays that file on restart
 * and goes on with height 2, chained on height 1.
 */
const A_MINUTE = 60_000;

let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir("opl-walnext-");
  cleanups.push(t.cleanup);
  return t.dir;
}

function startDriver(home: string, key: ValidatorKey, app: MemoryApp) {
  const fatal: unknown[] = [];
  const driver = new ConsensusDriver({
    app,
    signer: new GuardedSigner(key, join(home, "signer.json"), join(home, "audit.log")),
    walPath: join(home, "cs.wal"),
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: A_MINUTE,
    logger: pino({ level: "silent" }),
    onFatal: (err) => fatal.push(err),
  });
  cleanups.push(() => driver.stop());
  const committed = (height: number) =>
    waitFor(`height ${height} committed`, () => {
      if (fatal.length > 0) throw new Error(String(fatal[0]));
      return app.committed.length >= height ? true : undefined;
    }, 10_000);
  return { driver, fatal, committed };
}

describe("the consensus WAL begins the next height at the commit", () => {
  it("after height 1 is committed the WAL is height 2's while the interval runs; a crash then replays it and height 2 follows", async () => {
    const first = dir();
    createValidatorKey(join(first, "key.json"));
    const key = loadValidatorKey(join(first, "key.json"));
    const validators = [{ address: key.address, pubkey: key.publicKey, power: 10 }];
    const app = new MemoryApp(validators);
    const run = startDriver(first, key, app);
    await run.driver.start(); // a chain with no block yet starts height 1 at once
    await run.committed(1);

    await waitFor("the WAL moved to height 2", () => (walHeight(join(first, "cs.wal")) === 2 ? true : undefined), 5_000);
    expect(app.committed.length).toBe(1); // the interval (a minute) still runs: height 2 has not started
    expect(run.driver.height).toBe(1);

    // The crash image: the files as they are now (the driver's last write, the WAL's reset, is done).
    const second = dir();
    for (const f of ["cs.wal", "signer.json", shadowPathOf("signer.json")]) {
      if (existsSync(join(first, f))) copyFileSync(join(first, f), join(second, f));
    }
    await run.driver.stop();
    expect(run.fatal).toEqual([]);

    // The restarted node: its chain holds height 1 (as the real node's store would), its WAL says height 2.
    const restarted = new MemoryApp(validators);
    await restarted.commit(app.committed[0], app.info().lastCommit as Commit);
    const again = startDriver(second, key, restarted);
    await again.driver.start();
    await again.committed(2); // replayed and run at once, not a minute later
    expect(again.fatal).toEqual([]);
    expect(equalBytes(restarted.committed[1].header.lastBlockHash, blockHash(app.committed[0].header))).toBe(true);
    expect(readSignerState(join(second, "signer.json")).height).toBe(2);
  });
});
