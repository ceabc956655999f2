import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes, toHex } from "../../crypto/bytes.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey, type ValidatorKey } from "../../node/validator-key.ts";
import { blockHash } from "../../proto/block.ts";
import { maxSizeBlock, smallBlock } from "../helpers/max-block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * A crash at every write point of a height whose block is at the size limit: the consensus driver runs a
 * single-validator chain on real files (WAL, signer state), and the WAL as it stood when height 1 was decided
 * is cut after each record, and in the middle of each record (a torn write), as kill -9 would leave it. Each
 * cut restarts a fresh driver on it, with the signer state as it was at that point; the driver must replay,
 * commit the same block it had proposed (once that block is in the WAL), and go on to the next height.
 * The application is a stand-in that commits in memory: what is under test is the driver and its WAL.
 */
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function home(): string {
  const t = tempDir("opl-walcrash-");
  cleanups.push(t.cleanup);
  return t.dir;
}

interface Run {
  app: MemoryApp;
  driver: ConsensusDriver;
  fatal: unknown[];
}

function startDriver(dir: string, key: ValidatorKey): Run {
  // Height 1's block is at the size limit (the height crashed into); later ones are small, for speed.
  const app = new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }], (fields) =>
    fields.height === 1 ? maxSizeBlock(1, fields) : smallBlock(fields),
  );
  const fatal: unknown[] = [];
  const driver = new ConsensusDriver({
    app,
    signer: new GuardedSigner(key, join(dir, "signer.json"), join(dir, "audit.log")),
    walPath: join(dir, "cs.wal"),
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: 0,
    logger: pino({ level: "silent" }),
    onFatal: (err) => fatal.push(err),
  });
  return { app, driver, fatal };
}

/** The byte offsets where each record of a WAL file ends. */
function recordEnds(wal: Buffer): number[] {
  const ends: number[] = [];
  for (let at = 0; at < wal.byteLength; at += 8 + wal.readUInt32BE(at)) ends.push(at + 8 + wal.readUInt32BE(at));
  return ends;
}

describe("consensus WAL replay after a crash at each write point, blocks at the size limit", () => {
  it("every cut of height 1's WAL (after each record, and inside each) replays and the chain goes on", async () => {
    const original = home();
    createValidatorKey(join(original, "key.json"));
    const key = loadValidatorKey(join(original, "key.json"));

    // The original run: snapshot the WAL and the signer's audit log when height 1 is decided.
    const first = startDriver(original, key);
    let walAt1: Buffer | undefined;
    let auditAt1: string[] = [];
    first.app.onCommit = (height) => {
      if (height !== 1) return;
      walAt1 = readFileSync(join(original, "cs.wal"));
      auditAt1 = readFileSync(join(original, "audit.log"), "utf8").trim().split("\n");
    };
    await first.driver.start();
    await waitFor("height 1", () => (first.app.committed.length >= 1 ? true : undefined));
    await first.driver.stop();
    expect(first.fatal).toEqual([]);
    const wal = walAt1 as Buffer;
    const decided = toHex(blockHash(first.app.committed[0].header));
    const ends = recordEnds(wal);
    expect(wal.byteLength).toBeGreaterThan(8 * 1024 * 1024); // the block is in it
    expect(ends.length).toBeGreaterThanOrEqual(6);

    // Cut points: after each record, and halfway into each record after the first.
    const cuts = [...ends, ...ends.slice(0, -1).map((end, i) => Math.floor((end + ends[i + 1]) / 2))];
    for (const cut of cuts) {
      const dir = home();
      copyFileSync(join(original, "key.json"), join(dir, "key.json"));
      const prefix = wal.subarray(0, cut);
      writeFileSync(join(dir, "cs.wal"), prefix);
      // Signatures made before the crash: one per intent record fully in the prefix (a signature leaves only
      // once its intent is durable; count the signing as done, the state furthest ahead of the WAL).
      const intents = ends.filter((end) => end <= cut).length === 0 ? 0 : countIntents(prefix, ends, cut);
      if (intents > 0) writeFileSync(join(dir, "signer.json"), `${auditAt1[intents - 1]}\n`);
      const complete = wal.subarray(0, Math.max(0, ...ends.filter((end) => end <= cut)));
      const blockInWal = complete.includes(Buffer.from(decided, "utf8"));

      const run = startDriver(dir, key);
      await run.driver.start();
      await waitFor(`height 2 after a cut at byte ${cut}`, () => {
        if (run.fatal.length > 0) throw new Error(`cut at ${cut}: ${String(run.fatal[0])}`);
        return run.app.committed.length >= 2 ? true : undefined;
      });
      await run.driver.stop();
      expect(run.fatal, `cut at ${cut}`).toEqual([]);
      const again = toHex(blockHash(run.app.committed[0].header));
      if (blockInWal) expect(again, `cut at ${cut}: the block proposed before the crash`).toBe(decided);
      expect(equalBytes(run.app.committed[1].header.lastBlockHash, blockHash(run.app.committed[0].header))).toBe(true);
    }
  });
});

/** Intent records whose bytes lie wholly in the first `cut` bytes. */
function countIntents(wal: Buffer, ends: number[], cut: number): number {
  let n = 0;
  let start = 0;
  for (const end of ends) {
    if (end > cut) break;
    if (wal.subarray(start, end).includes(Buffer.from("\"t\":\"intent\"", "utf8"))) n++;
    start = end;
  }
  return n;
}
