import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toBase64, toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { homePaths } from "../../node/config.ts";
import { Keyring } from "../../node/keyring.ts";
import { readWal } from "../../node/wal.ts";
import type { TxMsg } from "../../proto/tx.ts";
import { RpcClient } from "../../rpc/client.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { setGenesisParams } from "../helpers/network.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { NodeProcess, runCli, setBlockInterval } from "../helpers/processes.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * kill -9 of a real `opl start` in the middle of a height whose block is at the size limit (the block's
 * WAL record, several MiB, is on disk; the block is not committed), then a restart: it must replay the WAL,
 * commit that height and go on. Blocks are filled with datanet contributions (the largest transactions:
 * 4 KiB of metadata, 1 KiB of URI), more than maxBlockBytes of them, sent while a block interval is long.
 */
const FEE = DEFAULT_PARAMS.minFee;
const tmp = tempDir("opl-e2e-maxblock-");
let node: NodeProcess | undefined;
afterAll(async () => {
  await node?.kill("SIGKILL");
  tmp.cleanup();
});

describe("crash at the maximum block size (real process)", () => {
  it("kill -9 after a maximum-size block reached the WAL: the restart replays it and the chain goes on", async () => {
    const home = tmp.dir;
    const chainId = "opl-maxblock-1";
    expect((await runCli(["init", "--home", home, "--chain-id", chainId])).code).toBe(0);
    setBlockInterval(home, 6000); // the mempool fills between blocks
    // About the byte limit: a work budget high enough that bytes, not work, fill a block and the mempool
    // (8 MiB of these ~5.3 KiB contributions cost ~700,000 units).
    setGenesisParams(home, { maxBlockWork: 2_000_000 });
    const config = join(home, "config.toml");
    writeFileSync(config, readFileSync(config, "utf8").replace(/max_txs_per_sender = \d+/, "max_txs_per_sender = 5000"));
    const faucet = new TestAccount(new Keyring(home).get("validator").secretKey);
    node = await NodeProcess.start(home);
    let rpc = new RpcClient(node.url);

    const send = (msg: TxMsg) =>
      signTx({ chainId, senderPubkey: faucet.publicKey, nonce: faucet.nonce++, fee: FEE, msg }, (m) => faucet.sign(m));
    const included = (hash: Uint8Array) =>
      waitFor("a tx included", async () => rpc.call<{ height: number; result: { events: { attributes: Record<string, string> }[] } }>("tx_get", { hash: toHex(hash) }), 30_000);

    const create = send({
      type: "create_datanet",
      name: "big",
      description: "",
      license: "",
      curators: [],
      contributionStake: 1n,
      reviewFee: 0n,
      allowListed: false,
      contributors: [],
    });
    await rpc.call("tx_submit", { tx: toBase64(create.bytes) });
    const created = await included(create.hash);
    const datanetId = Number(created.result.events.find((e) => e.attributes.id !== undefined)?.attributes.id);

    const { maxMetadataBytes, maxUriBytes } = DEFAULT_PARAMS.datanets;
    const metadata = JSON.stringify({ pad: "x".repeat(maxMetadataBytes - 12) });
    const perTx = maxMetadataBytes + maxUriBytes;
    const count = Math.ceil((DEFAULT_PARAMS.maxBlockBytes * 1.1) / perTx);
    const txs = Array.from({ length: count }, (_, i) =>
      send({
        type: "contribute",
        datanetId,
        contentHash: sha256(new TextEncoder().encode(`item ${i}`)),
        uri: `ipfs://${String(i).padStart(maxUriBytes - 7, "0")}`,
        sizeBytes: 1,
        metadata,
      }),
    );
    // Sent right after a block (in nonce order): all are in the mempool before the next proposal.
    const status = () => rpc.call<{ latestHeight: number }>("node_getStatus");
    const after = (await status()).latestHeight;
    await waitFor("the next block", async () => ((await status()).latestHeight > after ? true : undefined));
    const wal = homePaths(home).wal;
    for (let i = 0; i < txs.length; i += 100) {
      const batch = txs.slice(i, i + 100).map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } }));
      for (const r of await rpc.batch(batch)) expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    }
    // The write point: the height's maximum-size block is in the WAL (several MiB), not yet committed.
    // Frozen (SIGSTOP) the moment the record is seen: asking the node its height first let it commit the block
    // meanwhile on a loaded machine (a single validator commits soon after the record), and the restart then
    // had nothing to replay.
    // Not while the record is still being written: a SIGKILL cuts a multi-MiB write short (under load the
    // size check landed mid-write 3 runs of 3, the WAL then held no block, and the restart rightly had nothing
    // to replay). So: stopped for sure (a write in progress finishes first), then the record read back whole
    // from a copy (readWal repairs the file it reads); if torn, let it go on and look again.
    const frozen = node;
    const pid = frozen.child.pid as number;
    const stopped = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("T") === true;
    await waitFor("a maximum-size block in the WAL, whole", async () => {
      if (statSync(wal).size <= DEFAULT_PARAMS.maxBlockBytes * 0.9) return undefined;
      frozen.child.kill("SIGSTOP");
      await waitFor("the node stopped", () => (stopped() ? true : undefined), 10_000);
      const copy = `${wal}.probe`;
      copyFileSync(wal, copy);
      const whole = readWal(copy).droppedTail === 0;
      rmSync(copy, { force: true });
      rmSync(`${copy}.torn`, { force: true });
      if (whole) return true;
      frozen.child.kill("SIGCONT");
      return undefined;
    }, 30_000);
    await node.kill("SIGKILL");
    // What was committed when it died, read from its store, and the WAL's height: the next one.
    const db = await ChainDb.open(homePaths(home).chainDb);
    const killedAt = (await db.latestHeight()) ?? 0;
    await db.close();
    const walStart = readWal<{ t: string; height?: number }>(wal).records[0];
    expect(walStart).toEqual({ t: "height", height: killedAt + 1 });

    node = await NodeProcess.start(home);
    rpc = new RpcClient(node.url);
    expect(node.logLines.some((l) => l.includes("replaying the consensus WAL"))).toBe(true);
    // The block that was in the WAL is committed after the restart (the mempool's other txs died with the
    // process), with close to maxBlockBytes of txs.
    const first = await included(txs[0].hash);
    expect(first.height).toBeGreaterThan(killedAt);
    const block = await rpc.call<{ txs: unknown[] }>("chain_getBlock", { height: first.height });
    expect(block.txs.length * perTx).toBeGreaterThan(DEFAULT_PARAMS.maxBlockBytes * 0.9);
    expect(node.logLines.join("\n")).not.toMatch(/refusing to sign|diverged/);
    await waitFor("the chain going on", async () => ((await rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight > first.height + 1 ? true : undefined));
  }, 120_000); // ~32 s in CI
});
