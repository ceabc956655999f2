import net from "node:net";
import { YamuxStream } from "@chainsafe/libp2p-yamux/stream";
import { generateKeyPair } from "@libp2p/crypto/keys";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Gossip, type GossipOptions } from "../../p2p/gossip.ts";
import { createP2pHost, type P2pHost } from "../../p2p/host.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * What a receiving host writes back for the data it receives (p2p/yamux-window-updates.ts): a window update
 * once half a stream's window is used, as Go's yamux sends them, not one per data frame. Counted as socket
 * writes on the receiver's side of a real TCP connection between two libp2p hosts on loopback.
 */

const PROTOCOL = "/opl/test-window/1";
const log = pino({ level: "silent" });
const hosts: P2pHost[] = [];
const restores: (() => void)[] = [];
afterEach(async () => {
  for (const restore of restores.splice(0).reverse()) restore();
  for (const h of hosts.splice(0)) await h.stop();
});

function opts(onMessage: GossipOptions["onMessage"]): GossipOptions {
  return {
    protocol: PROTOCOL,
    maxMessageBytes: 1 << 20,
    maxQueuedBytes: 8 << 20,
    maxMessagesPerSecond: 100_000,
    onMessage,
    onMisbehaviour: () => {},
  };
}

async function host(): Promise<P2pHost> {
  const privateKey = await generateKeyPair("Ed25519");
  const h = await createP2pHost({ privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], agentVersion: "test" });
  hosts.push(h);
  return h;
}

/** Counts the socket writes of the connections accepted on `port` (the listener's side), from now on. */
function countWritesFromListener(port: number): { writes: () => number } {
  type WriteGeneric = (this: net.Socket, writev: boolean, data: unknown, encoding: string, cb: () => void) => void;
  const proto = net.Socket.prototype as unknown as { _writeGeneric: WriteGeneric };
  const original = proto._writeGeneric;
  let writes = 0;
  proto._writeGeneric = function (this: net.Socket, writev, data, encoding, cb) {
    if (this.localPort === port) writes++;
    return original.call(this, writev, data, encoding, cb);
  };
  restores.push(() => {
    proto._writeGeneric = original;
  });
  return { writes: () => writes };
}

/**
 * Keeps every stream's window at its first 256 KiB from now on: js-yamux grows a window only when frames come
 * within four round trips of each other, so the round trip is made unknown to the streams.
 */
function withoutWindowGrowth(): void {
  type Stream = { getRTT(): number };
  const proto = YamuxStream.prototype as unknown as { sendWindowUpdate(this: Stream): void };
  const update = proto.sendWindowUpdate;
  proto.sendWindowUpdate = function (this: Stream) {
    this.getRTT = () => -1;
    update.call(this);
  };
  restores.push(() => {
    proto.sendWindowUpdate = update;
  });
}

/** a and b connected, with a gossip stream from a to b whose messages b counts. */
async function linked(): Promise<{ a: Gossip; b: P2pHost; received: () => number; bytes: () => number }> {
  const [a, b] = [await host(), await host()];
  let received = 0;
  let bytes = 0;
  const ga = await Gossip.start(a, opts(() => {}), log);
  await Gossip.start(
    b,
    opts((_peer, message) => {
      received++;
      bytes += message.byteLength;
    }),
    log,
  );
  await a.dial(b.getMultiaddrs()[0]);
  await waitFor("gossip stream a->b", () => (ga.peers.includes(b.peerId.toString()) ? true : undefined));
  return { a: ga, b, received: () => received, bytes: () => bytes };
}

function portOf(h: P2pHost): number {
  return Number(/\/tcp\/(\d+)/.exec(h.getMultiaddrs()[0].toString())?.[1]);
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("yamux flow control between two libp2p hosts", () => {
  it("a receiver answers 400 separate 1 KiB messages with a few window updates, not one per message", async () => {
    const { a, b, received } = await linked();
    // Let the connection's set-up traffic (identify, the stream's opening) finish before counting.
    await waitFor("identify done", () => (b.getPeers().length === 1 ? true : undefined));
    const counter = countWritesFromListener(portOf(b));
    const message = new Uint8Array(1024).fill(7);
    for (let i = 0; i < 400; i++) {
      expect(a.broadcast(message)).toBe(1);
      await turn(); // each message its own data frame: the receiver sees 400 frames
    }
    await waitFor("400 messages", () => (received() === 400 ? true : undefined));
    // Updates now: one per growth of the window (256 KiB doubled up to 16 MiB while frames come close
    // together, as js-yamux grows it) and one per half window used, 6-8 in all, two socket writes each (the
    // noise frame's length, then its ciphertext): 12-16 writes. One update per data frame was 800 writes.
    expect(counter.writes()).toBeLessThan(40);
  });

  it("with a window that does not grow, 1 MiB in 1 KiB messages gets an update per 128 KiB used, and all arrives", async () => {
    const { a, b, received } = await linked();
    await waitFor("identify done", () => (b.getPeers().length === 1 ? true : undefined));
    withoutWindowGrowth();
    const counter = countWritesFromListener(portOf(b));
    const message = new Uint8Array(1024).fill(5);
    for (let i = 0; i < 1024; i++) {
      expect(a.broadcast(message)).toBe(1);
      await turn();
    }
    // Past 256 KiB the sender goes on only with updates: their absence would stop it there.
    await waitFor("1,024 messages", () => (received() === 1024 ? true : undefined));
    // ~1 MiB with the frames' length prefixes: an update per 128 KiB is 7-8, two socket writes each.
    expect(counter.writes()).toBeGreaterThanOrEqual(12);
    expect(counter.writes()).toBeLessThanOrEqual(24);
  });

  it("a stream carries 4 MiB, 16 times the initial window, in 256 KiB messages: updates still come in time", async () => {
    const { a, received, bytes } = await linked();
    const message = new Uint8Array(256 * 1024).fill(9);
    for (let i = 0; i < 16; i++) {
      a.broadcast(message);
      await turn();
    }
    await waitFor("16 messages", () => (received() === 16 ? true : undefined), 30_000);
    expect(bytes()).toBe(16 * 256 * 1024);
  });
});
