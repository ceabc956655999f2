import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, expect, it } from "vitest";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ONE_OPEN } from "../../state/units.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { TestNetwork } from "../helpers/network.ts";
import { NODE, OPL } from "../helpers/processes.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * On a devnet of real processes, `opl watch events --json` follows a datanet's contributions; the watcher
 * process is killed mid-stream, blocks with more contributions commit meanwhile, and a new watcher started
 * with the last cursor printed goes on: together they print every event exactly once, in chain order.
 */
const FEE = DEFAULT_PARAMS.minFee;
let net: TestNetwork | undefined;
const watchers: ChildProcess[] = [];

afterAll(async () => {
  for (const w of watchers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  await net?.stop();
});

interface Line {
  height: number;
  cursor: string;
  txHash: string;
  type: string;
  attributes: Record<string, string>;
}

/** Spawns `opl watch ...`; its complete stdout lines, parsed, arrive in `lines`. */
function spawnWatch(args: string[]): { child: ChildProcess; lines: Line[]; stderr: string[] } {
  const child = spawn(NODE, [OPL, "watch", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  watchers.push(child);
  const lines: Line[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (l) => lines.push(JSON.parse(l) as Line));
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (l) => stderr.push(l));
  return { child, lines, stderr };
}

it("a killed `opl watch` resumed with its last cursor prints every datanet event exactly once, in order", async () => {
  net = await TestNetwork.start({ validators: 2, blockIntervalMs: 200, accounts: 2 });
  const n = net;
  const rpc = n.nodes[0].rpc;
  const owner = n.account("account0");
  const contributor = n.account("account1");

  const submit = async (a: TestAccount, msg: TxMsg): Promise<string> => {
    const body = { chainId: n.chainId, senderPubkey: a.publicKey, nonce: a.nonce, fee: FEE, msg };
    const built = signTx(body, (m) => a.sign(m));
    await rpc.call("tx_submit", { tx: toBase64(built.bytes) });
    a.nonce++;
    return toHex(built.hash);
  };
  const included = (hash: string) =>
    waitFor(`tx ${hash}`, async () => {
      const s = await rpc.call<{ status: string }>("tx_getStatus", { hash });
      return s.status === "included" ? true : undefined;
    }, 30_000);

  const created = await submit(owner, {
    type: "create_datanet",
    name: "watched",
    description: "",
    license: "CC-BY-4.0",
    curators: [],
    contributionStake: ONE_OPEN,
    reviewFee: ONE_OPEN / 10n,
    allowListed: false,
    contributors: [],
  });
  await included(created);
  const tx = await rpc.call<{ result: { events: { type: string; attributes: Record<string, string> }[] } }>("tx_get", {
    hash: created,
  });
  const datanetId = Number(tx.result.events.find((e) => e.type === "create_datanet")?.attributes.id);
  let sent = 0;
  const contribute = () => {
    const contentHash = new Uint8Array(32);
    contentHash.set([sent & 0xff, sent >> 8, 7]);
    sent++;
    return submit(contributor, { type: "contribute", datanetId, contentHash, uri: `ipfs://c${sent}`, sizeBytes: 1, metadata: "" });
  };

  // The watcher starts, replaying from height 1; contributions come a few per block.
  const args = ["events", "--event", `contribute.datanet=${datanetId}`, "--json", "--rpc", n.nodes[1].url];
  const first = spawnWatch([...args, "--from-height", "1"]);
  const hashes: string[] = [];
  for (let i = 0; i < 4; i++) hashes.push(await contribute());
  await included(hashes[hashes.length - 1]);
  await waitFor("the first watcher's lines", () => (first.lines.length >= 3 ? true : undefined), 30_000);
  // Killed mid-stream while more are on their way.
  for (let i = 0; i < 3; i++) hashes.push(await contribute());
  first.child.kill("SIGKILL");
  await new Promise((r) => first.child.once("exit", r));
  const seen = [...first.lines];
  expect(seen.length).toBeGreaterThan(0);

  // Several blocks with more contributions commit while no one watches.
  for (let i = 0; i < 6; i++) {
    hashes.push(await contribute());
    if (i % 2 === 1) await included(hashes[hashes.length - 1]);
  }
  await included(hashes[hashes.length - 1]);
  const height = (await rpc.call<{ latestHeight: number }>("tx_search", { type: "contribute", limit: 1 })).latestHeight;
  await n.waitForHeight(height + 3);

  const second = spawnWatch([...args, "--cursor", seen[seen.length - 1].cursor]);
  await waitFor(
    "the second watcher to catch up",
    () => (seen.length + second.lines.length >= hashes.length ? true : undefined),
    30_000,
  );
  // And live: one more after it caught up.
  hashes.push(await contribute());
  await waitFor("the live event", () => (seen.length + second.lines.length >= hashes.length ? true : undefined), 30_000);

  // The node it watches restarts: the watcher reconnects by itself and resumes from its last cursor.
  await n.kill(1, "SIGKILL");
  hashes.push(await contribute());
  await n.restart(1);
  hashes.push(await contribute());
  await waitFor("the events across the restart", () => (seen.length + second.lines.length >= hashes.length ? true : undefined), 60_000);
  expect(second.stderr.join("\n")).toMatch(/reconnecting in \d+ ms to resume from cursor/);
  second.child.kill("SIGTERM");

  const all = [...seen, ...second.lines];
  expect(all.map((l) => l.txHash)).toEqual(hashes);
  expect(new Set(all.map((l) => l.cursor)).size).toBe(all.length);
  expect(all.every((l) => l.type === "contribute" && l.attributes.datanet === String(datanetId))).toBe(true);
  const heights = all.map((l) => l.height);
  expect(heights).toEqual([...heights].sort((a, b) => a - b));
  expect(second.stderr.join("\n")).not.toMatch(/^error/m);
}, 120_000);
