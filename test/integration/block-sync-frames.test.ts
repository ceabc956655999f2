import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SYNC_PROTOCOL } from "../../node/block-sync-server.ts";
import { homePaths, readConfig } from "../../node/config.ts";
import { initHome } from "../../node/init.ts";
import { OplNode } from "../../node/node.ts";
import { decodeSyncedBlock, encodeBlockRequest } from "../../proto/p2p.ts";
import { buildChain } from "../helpers/built-chain.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A block sync answer goes out in a few large writes, not one per block: each write is a yamux frame, a
 * noise encryption and a socket write at the server, and a decryption and a frame at the client, whatever
 * its size, so a range of a few hundred small blocks written one by one cost hundreds of each. The client
 * still gets every block, in order, in the same wire format.
 */
const CHAIN = "opl-syncframes-1";
const BLOCKS = 300;
const tmp = tempDir("opl-syncframes-");
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  tmp.cleanup();
});

describe("block sync answer framing", () => {
  it(`a range of ${BLOCKS} empty blocks arrives in a few stream messages, every block in order`, async () => {
    const home = join(tmp.dir, "source");
    await initHome({ home, chainId: CHAIN, moniker: "source" });
    await buildChain(home, Array.from({ length: BLOCKS }, () => []));
    const config = readConfig(homePaths(home).config);
    config.rpc.listen = "127.0.0.1:0";
    config.p2p.listen = "/ip4/127.0.0.1/tcp/0";
    config.consensus.block_interval_ms = 1000;
    const node = await OplNode.start({ home, config, logger: pino({ level: "silent" }) });
    stops.push(() => node.stop());
    const address = node.p2p.getMultiaddrs().find((a) => a.toString().includes("127.0.0.1"));
    if (address === undefined) throw new Error("no p2p address on 127.0.0.1");

    const client = await createLibp2p({
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    });
    stops.push(async () => {
      await client.stop();
    });
    const stream = await client.dialProtocol(multiaddr(address.toString()), SYNC_PROTOCOL);
    let messages = 0;
    let bytes = 0;
    stream.addEventListener("message", (evt) => {
      messages++;
      bytes += evt.data.byteLength;
    });
    const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024, maxBufferSize: 32 * 1024 * 1024 });
    await lp.write(encodeBlockRequest({ fromHeight: 1, count: BLOCKS }));
    await stream.close();
    const header = (await lp.read()).subarray();
    const n = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
    expect(n).toBe(BLOCKS);
    for (let i = 0; i < n; i++) {
      expect(decodeSyncedBlock((await lp.read()).subarray()).block.header.height).toBe(1 + i);
    }
    // One message per 16 KiB at most (yamux sends up to 64 KiB a frame), and two to spare: one per block
    // before, BLOCKS + 1 in all.
    expect(messages).toBeLessThanOrEqual(Math.ceil(bytes / (16 * 1024)) + 2);
  }, 60_000);
});
