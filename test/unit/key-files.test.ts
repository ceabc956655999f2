import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeSecretFile } from "../../node/key-file.ts";
import { Keyring } from "../../node/keyring.ts";
import { createNodeKey, loadNodeKey } from "../../node/node-key.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { tempDir } from "../helpers/tmp.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("secret key files readable by others are refused at load", () => {
  const loaders: [string, (d: string) => { path: string; load: () => unknown }][] = [
    ["the validator key", (d) => {
      const path = join(d, "priv_validator_key.json");
      createValidatorKey(path);
      return { path, load: () => loadValidatorKey(path) };
    }],
    ["a keyring key", (d) => {
      const ring = new Keyring(d);
      ring.add("alice");
      return { path: join(ring.dir, "alice.json"), load: () => ring.get("alice") };
    }],
  ];
  for (const [what, make] of loaders) {
    it(`${what}: 0600 loads, 0644 and 0640 are refused naming the file and the fix`, () => {
      const { path, load } = make(dir());
      expect(load).not.toThrow();
      for (const mode of [0o644, 0o640, 0o604]) {
        chmodSync(path, mode);
        expect(load).toThrow(`chmod 600 ${path}`);
        expect(load).toThrow(/readable or writable by group or others/);
      }
      chmodSync(path, 0o600);
      expect(load).not.toThrow();
    });
  }

  it("the node key: 0644 is refused, 0600 loads", async () => {
    const path = join(dir(), "node_key.json");
    await createNodeKey(path);
    chmodSync(path, 0o644);
    expect(() => loadNodeKey(path)).toThrow(`chmod 600 ${path}`);
    chmodSync(path, 0o600);
    expect(loadNodeKey(path).peerId).toMatch(/^12D3/);
  });
});

describe("atomic secret writes leave no temp files behind", () => {
  it("removes its temp file when the write fails", () => {
    const d = dir();
    const path = join(d, "state.json");
    mkdirSync(join(path, "in-the-way"), { recursive: true }); // rename onto a non-empty directory fails
    expect(() => writeSecretFile(path, "{}\n")).toThrow();
    expect(readdirSync(d)).toEqual(["state.json"]);
  });

  it("removes stale temp files of dead processes, and keeps those of live ones", async () => {
    const d = dir();
    const path = join(d, "state.json");
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ["-e", ""]);
      child.on("exit", () => resolve(child.pid as number));
    });
    writeFileSync(`${path}.tmp-${dead}`, "half a write");
    writeFileSync(`${path}.tmp-${process.ppid}`, "a live writer's"); // our parent: alive
    writeSecretFile(path, "{}\n");
    expect(readdirSync(d).sort()).toEqual(["state.json", `state.json.tmp-${process.ppid}`]);
  });
});
