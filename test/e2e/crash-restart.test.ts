import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../crypto/bytes.ts";
import { Keyring } from "../../node/keyring.ts";
import { RpcClient } from "../../rpc/client.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { Rng } from "../sim/rng.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir } from "../helpers/tmp.ts";

const FEE = DEFAULT_PARAMS.minFee;
const CYCLES = 20;
const tmp = tempDir("opl-e2e-crash-");
let node: NodeProcess | undefined;

afterAll(async () => {
  await node?.kill("SIGKILL");
  tmp.cleanup();
});

describe("crash safety of a single-validator node", () => {
  it(`kill -9 at random moments while transfers flow, ${CYCLES} times: nothing committed is lost`, async () => {
    const home = tmp.dir;
    const init = await runCli(["init", "--home", home, "--chain-id", "opl-crash-1"]);
    expect(init.code, init.stderr).toBe(0);
    setBlockInterval(home, 100);
    const faucet = new TestAccount(new Keyring(home).get("validator").secretKey);
    const senders = Array.from({ length: 4 }, () => new TestAccount());
    const rng = new Rng(20261123); // kill moments differ per cycle, but a failing run replays
    const random = () => rng.next();
    const includedAt = new Map<string, number>(); // tx hash -> height, as reported by the node before a kill
    let highestSeen = 0;
    let supply: string | undefined;
    let funded = false;
    let replays = 0;

    for (let cycle = 0; cycle <= CYCLES; cycle++) {
      node = await NodeProcess.start(home);
      const rpc = new RpcClient(node.url);

      // After every restart: height never went back, everything reported included is still there, supply held.
      const status = await rpc.call<{ latestHeight: number }>("node_getStatus");
      expect(status.latestHeight, `cycle ${cycle}`).toBeGreaterThanOrEqual(highestSeen);
      const hashes = [...includedAt.keys()];
      for (let i = 0; i < hashes.length; i += 200) {
        const replies = await rpc.batch(
          hashes.slice(i, i + 200).map((hash) => ({ method: "tx_get", params: { hash } })),
        );
        replies.forEach((r, j) => {
          const hash = hashes[i + j];
          expect(r.error, `cycle ${cycle}: tx ${hash} lost`).toBeUndefined();
          expect((r.result as { height: number }).height).toBe(includedAt.get(hash));
        });
      }
      const total = (await rpc.call<{ total: string }>("bank_getSupply")).total;
      supply ??= total;
      expect(total, `cycle ${cycle}`).toBe(supply);
      if (cycle === CYCLES) break;

      // Transfers flow until the kill.
      for (const s of [faucet, ...senders]) {
        s.nonce = (await rpc.call<{ nonce: number }>("account_get", { address: s.bech32 })).nonce;
      }
      if (!funded) {
        for (const s of senders) {
          const t = faucet.transfer("opl-crash-1", s.address, 1_000_000n * FEE, FEE);
          await rpc.call("tx_submit", { tx: toBase64(t.bytes) });
        }
        funded = true;
      }
      let alive = true;
      const pending = new Set<string>();
      const flow = (async () => {
        while (alive) {
          const batch = senders.flatMap((s) =>
            [0, 1, 2].map(() => s.transfer("opl-crash-1", senders[0].address, FEE, FEE)),
          );
          try {
            const replies = await rpc.batch(
              batch.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })),
            );
            replies.forEach((r) => {
              if (r.error === undefined) pending.add((r.result as { hash: string }).hash);
            });
            if (replies.some((r) => r.error !== undefined)) {
              for (const s of senders) {
                s.nonce = (await rpc.call<{ nonce: number }>("account_get", { address: s.bech32 })).nonce;
              }
            }
            const asked = [...pending];
            const found = await rpc.batch(asked.map((hash) => ({ method: "tx_get", params: { hash } })));
            found.forEach((r, i) => {
              if (r.error !== undefined) return;
              const height = (r.result as { height: number }).height;
              includedAt.set(asked[i], height);
              pending.delete(asked[i]);
              highestSeen = Math.max(highestSeen, height);
            });
            const s = await rpc.call<{ latestHeight: number }>("node_getStatus");
            highestSeen = Math.max(highestSeen, s.latestHeight);
          } catch {
            return; // the node was killed mid-request
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + Math.floor(random() * 900)));
      // Counted over the process's life: the replay may be logged after the node reports itself ready.
      if (node.logLines.some((l) => l.includes("replaying the consensus WAL"))) replays++;
      await node.kill("SIGKILL");
      alive = false;
      await flow;
      node = undefined;
    }
    expect(includedAt.size).toBeGreaterThan(100);
    expect(highestSeen).toBeGreaterThan(20);

    // The validator never released two different signatures for one (height, round, step), across every
    // crash: the signer's audit log holds one line per signature it released.
    const audit = readFileSync(join(home, "data", "signer-audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const byStep = new Map<string, Set<string>>();
    for (const s of audit as { height: number; round: number; step: number; payload: string }[]) {
      const key = `${s.height}/${s.round}/${s.step}`;
      byStep.set(key, (byStep.get(key) ?? new Set()).add(s.payload));
    }
    const conflicts = [...byStep.entries()].filter(([, payloads]) => payloads.size > 1).map(([k]) => k);
    expect(conflicts).toEqual([]);
    expect(byStep.size).toBeGreaterThan(3 * 20); // proposal, prevote, precommit for every height
    // And the WAL was replayed at least once after a kill landed inside a height.
    expect(replays).toBeGreaterThan(0);
  }, 240_000);
});
