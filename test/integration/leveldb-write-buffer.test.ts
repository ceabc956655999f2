import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfig, homePaths, parseConfig, readConfig } from "../../node/config.ts";
import { createDevnetHomes } from "../../node/devnet-homes.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import {
  DEFAULT_WRITE_BUFFER_BYTES,
  DEVNET_WRITE_BUFFER_BYTES,
  MAX_WRITE_BUFFER_BYTES,
} from "../../state/store/write-buffer.ts";
import type { TreePut } from "../../state/tree/versioned-tree.ts";
import { tempDir } from "../helpers/tmp.ts";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

/** LevelDB's own write buffer, when none is given. */
const LEVELDB_OWN_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** LevelDB's table files in a database directory: what its write buffer wrote out. */
const tableFiles = (path: string) => readdirSync(path).filter((f) => f.endsWith(".ldb"));

/** Writes `bytes` of random records (keys spread over the key space, as tx hashes are) and closes the db. */
async function fill(db: ChainDb, bytes: number): Promise<void> {
  const value = new Uint8Array(1000);
  for (let written = 0; written < bytes;) {
    const ops: TreePut[] = [];
    for (let i = 0; i < 500; i++, written += 1032) ops.push({ type: "put", key: new Uint8Array(randomBytes(32)), value });
    await db.writeTreeRecords(ops);
  }
  await db.close(); // waits for a table file being written to be done
}

describe("LevelDB's write buffer ([state] write_buffer_bytes)", () => {
  it("holds a 16 MiB buffer of writes by default before writing a table file, where LevelDB's own 4 MiB wrote some", async () => {
    const t = tempDir("opl-wbuf-");
    cleanup = t.cleanup;
    const small = join(t.dir, "small");
    await fill(await ChainDb.open(small, { writeBufferBytes: LEVELDB_OWN_WRITE_BUFFER_BYTES }), 8 * 1024 * 1024);
    expect(tableFiles(small).length).toBeGreaterThan(0);
    const large = join(t.dir, "default");
    await fill(await ChainDb.open(large), 8 * 1024 * 1024);
    expect(tableFiles(large)).toEqual([]); // all 8 MiB still in the buffer (and its log)
    // Nothing is lost either way: the log is replayed on open.
    const again = await ChainDb.open(large);
    expect(await again.rawEntries(new Uint8Array(0), new Uint8Array(33).fill(0xff), 10)).toHaveLength(10);
    await again.close();
  });

  it("is refused outside its bounds, by the config and by the database", async () => {
    expect(defaultConfig("n").state.write_buffer_bytes).toBe(DEFAULT_WRITE_BUFFER_BYTES);
    const withBuffer = (bytes: number) => parseConfig(`[state]\nwrite_buffer_bytes = ${bytes}\n`, "config.toml");
    expect(withBuffer(8 * 1024 * 1024).state.write_buffer_bytes).toBe(8 * 1024 * 1024);
    expect(() => withBuffer(1000)).toThrow(/config.toml: state.write_buffer_bytes/);
    expect(() => withBuffer(MAX_WRITE_BUFFER_BYTES + 1)).toThrow(/config.toml: state.write_buffer_bytes/);
    const t = tempDir("opl-wbuf-");
    cleanup = t.cleanup;
    await expect(ChainDb.open(join(t.dir, "db"), { writeBufferBytes: 1000 })).rejects.toThrow(/write buffer must be/);
  });

  it("is 8 MiB in each node of a devnet of several validators (they share one machine), 16 MiB alone", async () => {
    const t = tempDir("opl-wbuf-");
    cleanup = t.cleanup;
    const four = await createDevnetHomes({ dir: join(t.dir, "four"), validators: 4, chainId: "wbuf-4" });
    expect(DEVNET_WRITE_BUFFER_BYTES).toBe(8 * 1024 * 1024);
    for (const node of four.nodes) {
      expect(readConfig(homePaths(node.home).config).state.write_buffer_bytes).toBe(DEVNET_WRITE_BUFFER_BYTES);
    }
    const one = await createDevnetHomes({ dir: join(t.dir, "one"), validators: 1, chainId: "wbuf-1" });
    expect(readConfig(homePaths(one.nodes[0].home).config).state.write_buffer_bytes).toBe(DEFAULT_WRITE_BUFFER_BYTES);
  });
});
