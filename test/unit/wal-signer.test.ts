import { equalBytes } from "../../crypto/bytes.ts";
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE } from "../../consensus/signer-guard.ts";
import { generateSecretKey } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { DoubleSignRefusedError, GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { readWal, Wal, WalCorruptError } from "../../node/wal.ts";
import { blockHash, decodeBlock, encodeBlock } from "../../proto/block.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { maxSizeBlock } from "../helpers/max-block.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function dir(): string {
  const t = tempDir("opl-wal-");
  cleanup = t.cleanup;
  return t.dir;
}

describe("consensus WAL (real files)", () => {
  it("reads back what was appended, and a reset replaces it atomically", async () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ n: number }>(path);
    for (let n = 0; n < 5; n++) {
      wal.append({ n });
      if (n % 2 === 0) await wal.flush();
    }
    expect(readWal<{ n: number }>(path).records.map((r) => r.n)).toEqual([0, 1, 2, 3, 4]);
    await wal.reset([{ n: 9 }]);
    wal.append({ n: 10 });
    await wal.close();
    expect(readWal<{ n: number }>(path).records).toEqual([{ n: 9 }, { n: 10 }]);
  });

  it("drops a torn last record (a crash mid-write), truncates it away, and keeps appending cleanly", () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ n: number }>(path);
    wal.append({ n: 1 });
    wal.append({ n: 2 });
    wal.close();
    const full = statSync(path).size;
    for (const cut of [1, 5, 9]) {
      truncateSync(path, full - cut);
      const read = readWal<{ n: number }>(path);
      expect(read.records).toEqual([{ n: 1 }]);
      expect(read.droppedTail).toBeGreaterThan(0);
      const again = Wal.open<{ n: number }>(path);
      again.append({ n: 2 });
      again.close();
      expect(readWal<{ n: number }>(path).records).toEqual([{ n: 1 }, { n: 2 }]);
    }
    // A last record whose bytes are all there but garbled is torn too.
    const bytes = readFileSync(path);
    bytes[bytes.length - 2] ^= 0xff;
    writeFileSync(path, bytes);
    expect(readWal<{ n: number }>(path).records).toEqual([{ n: 1 }]);
  });

  it("stops with an error naming file and offset when a record in the middle is corrupt", () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ n: number }>(path);
    wal.append({ n: 1 });
    wal.append({ n: 2 });
    wal.append({ n: 3 });
    wal.close();
    const bytes = readFileSync(path);
    const second = 8 + 1 + JSON.stringify({ n: 1 }).length; // offset of record 2
    bytes[second + 9] ^= 0xff;
    writeFileSync(path, bytes);
    expect(() => readWal(path)).toThrow(WalCorruptError);
    expect(() => readWal(path)).toThrow(new RegExp(`${path}: record at offset ${second}`));
  });

  it("a corrupt length in the middle is fatal, not mistaken for a torn tail", () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ n: number }>(path);
    for (let n = 1; n <= 3; n++) wal.append({ n });
    wal.close();
    const bytes = readFileSync(path);
    const second = 8 + 1 + JSON.stringify({ n: 1 }).length;
    bytes.writeUInt32BE(0x00100000, second); // record 2 now claims 1 MiB
    writeFileSync(path, bytes);
    expect(() => readWal(path)).toThrow(/impossible length .*good records follow/);
    expect(statSync(path).size).toBe(bytes.length); // nothing was truncated
  });

  it("an absurd length at the very end, or a zero-filled tail (power loss), is a torn tail", () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ n: number }>(path);
    wal.append({ n: 1 });
    wal.close();
    appendFileSync(path, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3]));
    expect(readWal<{ n: number }>(path).records).toEqual([{ n: 1 }]);
    appendFileSync(path, Buffer.alloc(4096));
    const read = readWal<{ n: number }>(path);
    expect(read.records).toEqual([{ n: 1 }]);
    expect(read.droppedTail).toBe(4096);
    expect(readFileSync(`${path}.torn`).length).toBe(4096); // kept for inspection
  });
});

describe("consensus WAL at the maximum block size", () => {
  it("a block of maxBlockBytes round-trips through the block codec and a WAL record, stored raw", () => {
    const block = maxSizeBlock(1);
    const bytes = encodeBlock(block);
    expect(bytes.byteLength).toBeGreaterThan(DEFAULT_PARAMS.maxBlockBytes);
    expect(equalBytes(blockHash(decodeBlock(bytes).header), blockHash(block.header))).toBe(true);

    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ t: string; bytes?: Uint8Array }>(path);
    wal.append({ t: "before" });
    wal.append({ t: "block", bytes });
    wal.append({ t: "after" });
    wal.close();
    // Raw, not base64 in JSON: the file is the block plus a few dozen bytes.
    expect(statSync(path).size).toBeLessThan(bytes.byteLength + 100);
    const read = readWal<{ t: string; bytes?: Uint8Array }>(path);
    expect(read.records.map((r) => r.t)).toEqual(["before", "block", "after"]);
    const back = read.records[1].bytes as Uint8Array;
    expect(equalBytes(back, bytes)).toBe(true);
    expect(equalBytes(encodeBlock(decodeBlock(back)), bytes)).toBe(true);
    expect(read.records[0].bytes).toBeUndefined();
  });

  it("a WAL in the earlier JSON-only format (block as base64) is read, and new records append to it", () => {
    const path = join(dir(), "cs.wal");
    const block = Uint8Array.from([1, 2, 3, 250, 251, 252]);
    const oldRecord = (value: unknown): Buffer => {
      const payload = Buffer.from(JSON.stringify(value), "utf8");
      const header = Buffer.alloc(8);
      header.writeUInt32BE(payload.byteLength, 0);
      header.writeUInt32BE(crc32(payload), 4);
      return Buffer.concat([header, payload]);
    };
    writeFileSync(path, Buffer.concat([
      oldRecord({ t: "height", height: 3 }),
      oldRecord({ t: "input", input: { type: "proposal" }, block: Buffer.from(block).toString("base64") }),
    ]));
    const wal = Wal.open<{ t: string; bytes?: Uint8Array }>(path);
    wal.append({ t: "signed" });
    wal.close();
    const read = readWal<{ t: string; height?: number; bytes?: Uint8Array; block?: unknown }>(path);
    expect(read.records.map((r) => r.t)).toEqual(["height", "input", "signed"]);
    expect(read.records[0].height).toBe(3);
    expect(equalBytes(read.records[1].bytes as Uint8Array, block)).toBe(true);
    expect(read.records[1].block).toBeUndefined();
    expect(read.droppedTail).toBe(0);
  });
});

describe("consensus WAL: a torn tail of adversarial bytes is read quickly", () => {
  const MiB = 1024 * 1024;
  const tails: Array<[string, (i: number) => number]> = [
    ["repeated 00 10 00 00", (i) => [0, 0x10, 0, 0][i % 4]],
    ["repeated 00 10 01 (a plausible header every 3 bytes)", (i) => [0, 0x10, 1][i % 3]],
    ["random", () => (Math.random() * 256) | 0],
  ];
  for (const [name, byteAt] of tails) {
    it(`8 MiB block record cut short, ${name}: dropped in well under a second`, () => {
      const path = join(dir(), "cs.wal");
      const bytes = new Uint8Array(8 * MiB);
      for (let i = 0; i < bytes.length; i++) bytes[i] = byteAt(i);
      const wal = Wal.open<{ t: string; bytes?: Uint8Array }>(path);
      wal.append({ t: "height" });
      wal.append({ t: "block", bytes });
      wal.close();
      const full = statSync(path).size;
      for (const cut of [1000, 4 * MiB]) {
        truncateSync(path, full - cut);
        const started = performance.now();
        const read = readWal<{ t: string }>(path);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(read.records.map((r) => r.t)).toEqual(["height"]);
        expect(read.droppedTail).toBe(full - cut - (statSync(path).size));
        // The torn record is gone; write it again for the next cut.
        const again = Wal.open<{ t: string; bytes?: Uint8Array }>(path);
        again.append({ t: "block", bytes });
        again.close();
      }
    });
  }

  it("a corrupt length in the middle is still fatal after a large record", () => {
    const path = join(dir(), "cs.wal");
    const wal = Wal.open<{ t: string; bytes?: Uint8Array }>(path);
    wal.append({ t: "height" });
    wal.append({ t: "block", bytes: new Uint8Array(2 * MiB).fill(1) });
    wal.append({ t: "signed" });
    wal.close();
    const data = readFileSync(path);
    const second = 8 + 1 + JSON.stringify({ t: "height" }).length;
    data.writeUInt32BE(0x03000000, second); // the block record now claims 48 MiB
    writeFileSync(path, data);
    const started = performance.now();
    expect(() => readWal(path)).toThrow(WalCorruptError);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(statSync(path).size).toBe(data.length);
  });
});

describe("guarded signer (real files)", () => {
  function signer(home: string): GuardedSigner {
    const keyPath = join(home, "validator_key.json");
    try {
      readFileSync(keyPath);
    } catch {
      createValidatorKey(keyPath, generateSecretKey());
    }
    return new GuardedSigner(loadValidatorKey(keyPath), join(home, "state.json"), join(home, "audit.log"));
  }
  const bytes = (s: string) => sha256(new TextEncoder().encode(s));

  it("signs forward, re-signs the identical request, refuses conflicts and regressions, across restarts", async () => {
    const home = dir();
    const a = signer(home);
    const sig = a.sign({ height: 5, round: 0, step: STEP_PREVOTE, signBytes: bytes("A") }).signature;
    expect(a.sign({ height: 5, round: 0, step: STEP_PREVOTE, signBytes: bytes("A") }).signature).toEqual(sig);
    expect(() => a.sign({ height: 5, round: 0, step: STEP_PREVOTE, signBytes: bytes("B") })).toThrow(DoubleSignRefusedError);
    await a.sign({ height: 5, round: 0, step: STEP_PRECOMMIT, signBytes: bytes("A") }).durable;

    const b = signer(home); // a restarted process reads the persisted state
    expect(b.lastSigned).toMatchObject({ height: 5, round: 0, step: STEP_PRECOMMIT });
    expect(() => b.sign({ height: 5, round: 0, step: STEP_PRECOMMIT, signBytes: bytes("B") })).toThrow(/conflicting/);
    expect(() => b.sign({ height: 4, round: 9, step: STEP_PREVOTE, signBytes: bytes("C") })).toThrow(/behind/);
    expect(() => b.sign({ height: 5, round: 0, step: STEP_PREVOTE, signBytes: bytes("A") })).toThrow(/behind/);
    await b.sign({ height: 5, round: 1, step: STEP_PREVOTE, signBytes: bytes("D") }).durable;

    const audit = readFileSync(join(home, "audit.log"), "utf8").trim().split("\n");
    expect(audit).toHaveLength(3); // re-signing released nothing new
    expect(statSync(join(home, "state.json")).mode & 0o777).toBe(0o600);
  });

  it("a signer state with any byte flipped is refused as damaged, never read as another position", async () => {
    const home = dir();
    const a = signer(home);
    await a.sign({ height: 12, round: 3, step: STEP_PRECOMMIT, signBytes: bytes("A") }).durable;
    const path = join(home, "state.json");
    const good = readFileSync(path);
    for (let at = 0; at < good.length - 1; at++) { // the last byte is the newline
      const bad = Buffer.from(good);
      bad[at] ^= 0x01;
      writeFileSync(path, bad);
      let position: string | undefined;
      try {
        const b = signer(home);
        position = JSON.stringify(b.lastSigned);
      } catch (err) {
        expect(String(err), `flip at ${at}`).toMatch(/signer state .* (damaged|not valid JSON)/);
        continue;
      }
      // A flip JSON ignores (e.g. in whitespace) may load, but only as the very same position.
      expect(position, `flip at ${at}`).toBe(JSON.stringify(signer(home).lastSigned));
      expect(JSON.parse(position)).toMatchObject({ height: 12, round: 3, step: STEP_PRECOMMIT });
    }
  });
});
