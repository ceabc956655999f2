import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { homePaths, readConfig } from "../../node/config.ts";
import { OplNode } from "../../node/node.ts";
import { RpcClient } from "../../rpc/client.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { NodeProcess } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A byte flipped in each kind of file a node keeps (LevelDB's table, log, manifest and CURRENT; the consensus
 * WAL; the signer state), then a real start on it: the node refuses with a message, or starts and serves
 * exactly the blocks it had. Never a different block, never a double-sign refusal in place of the real cause.
 */
let chain: TestChain | undefined;
const copies: (() => void)[] = [];
afterAll(() => {
  chain?.removeHome();
  for (const c of copies) c();
});

function start(home: string): Promise<OplNode> {
  return OplNode.start({ home, config: readConfig(homePaths(home).config), logger: pino({ level: "silent" }) });
}

describe("a flipped byte in any file of a node's home", () => {
  it("is refused with a message, or changes nothing that is served", async () => {
    chain = await startTestChain({ blockIntervalMs: 50 });
    await chain.waitForHeight(4);
    await chain.node.stop();
    // A second run: the first run's log becomes a table file, and this run's blocks are in a new log.
    const again = await start(chain.home);
    await new Promise<void>((resolve) => {
      const off = again.app.onCommit((e) => {
        if (e.height >= 8) {
          off();
          resolve();
        }
      });
    });
    await again.stop();
    const latest = again.app.info().height;

    const original = chain.home;
    // What the node served before any flip.
    const reference = await start(original);
    const served = async (url: string, upTo: number) => {
      const client = new RpcClient(url);
      const out: string[] = [];
      for (let h = 1; h <= upTo; h++) {
        // A read the node refuses (its block store found the damage) is served as an error, not as data.
        out.push(await client.call("chain_getBlock", { height: h }).then(JSON.stringify, () => "refused"));
      }
      return out;
    };
    // Two more blocks, so that this run's log file holds some (flipped below too).
    await new Promise<void>((resolve) => {
      const off = reference.app.onCommit((e) => {
        if (e.height >= latest + 2) {
          off();
          resolve();
        }
      });
    });
    const upTo = reference.app.info().height;
    const before = await served(reference.rpc.url, upTo);
    await reference.stop();

    const dbDir = homePaths(original).chainDb;
    const dbFiles = readdirSync(dbDir);
    const kinds: [string, string][] = [
      ["table", join(dbDir, dbFiles.find((f) => f.endsWith(".ldb")) as string)],
      ["log", join(dbDir, dbFiles.find((f) => f.endsWith(".log")) as string)],
      ["manifest", join(dbDir, dbFiles.find((f) => f.startsWith("MANIFEST-")) as string)],
      ["CURRENT", join(dbDir, "CURRENT")],
      ["WAL", homePaths(original).wal],
      ["signer state", homePaths(original).signerState],
    ];

    const outcomes: string[] = [];
    for (const [kind, file] of kinds) {
      const size = readFileSync(file).byteLength;
      for (const fraction of [0.3, 0.7]) {
        const t = tempDir("opl-flip-");
        copies.push(t.cleanup);
        cpSync(original, t.dir, { recursive: true });
        const path = join(t.dir, file.slice(original.length));
        const bytes = readFileSync(path);
        const at = Math.floor(size * fraction);
        bytes[at] ^= 0x01;
        writeFileSync(path, bytes);
        // A real process: a damaged table can trip an assertion inside LevelDB that aborts the process.
        let node: NodeProcess;
        try {
          node = await NodeProcess.start(t.dir);
        } catch (err) {
          const message = (err as Error).message;
          expect(message, `${kind} at ${at}`).not.toMatch(/refusing to sign|double-sign refused/i);
          const last = message.trim().split("\n").at(-1) ?? "";
          outcomes.push(`${kind}@${at}: refused: ${(/^error: /.test(last) ? last : message.split("\n")[0]).slice(0, 110)}`);
          continue;
        }
        try {
          const after = await served(node.url, before.length);
          after.forEach((block, i) => {
            if (block !== "refused") expect(block, `${kind} at ${at}: block ${i + 1}`).toBe(before[i]);
          });
          const refused = after.filter((b) => b === "refused").length;
          outcomes.push(`${kind}@${at}: started, same blocks${refused > 0 ? `, ${refused} reads refused` : ""}`);
        } finally {
          await node.kill("SIGKILL");
        }
      }
    }
    expect(outcomes).toHaveLength(kinds.length * 2);
    // Twelve real node processes started one after another (42-54 s alone on the 2-core machine): twice
    // that, so that a loaded machine does not fail a test whose point is what each start does, not its speed.
  }, 120_000);
});
