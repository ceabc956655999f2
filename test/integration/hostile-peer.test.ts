import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { identify } from "@libp2p/identify";
import type { PrivateKey, Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { concatBytes } from "../../crypto/bytes.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { CONSENSUS_PROTOCOL, WASTED_CONSENSUS_BYTES } from "../../node/network.ts";
import { frame } from "../../p2p/gossip.ts";
import { encodeHeader } from "../../proto/block.ts";
import { encodeMessage } from "../../proto/codec.ts";
import { proposalSignBytes, signedProposalFields } from "../../proto/consensus.ts";
import { pb } from "../../proto/schema.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { h32, sampleHeader } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/tmp.ts";
import { varint } from "../helpers/wire-bytes.ts";

/**
 * Issue 11 item 7: a stock libp2p peer (no project code in its stack) sends what costs an unguarded node
 * dearly: a 4 MiB proposal of 1.4 M one-byte transactions, proposals for heights far outside the window,
 * empty frames. The node checks a proposal's small signed part before decoding its block, charges useless
 * frames to the peer, refuses empty ones; the peer loses its score and connection, the node keeps
 * committing, and the CPU and memory it spent are measured and small.
 */
let chain: TestChain;
let address: Multiaddr;
beforeAll(async () => {
  // Blocks a second apart: a proposal for the next height built in the test is still for the next height when
  // it arrives.
  chain = await startTestChain({ blockIntervalMs: 1000 });
  const status = await chain.rpc.call<{ p2pAddresses: string[] }>("node_getStatus");
  address = multiaddr(status.p2pAddresses[0]);
});
afterAll(async () => {
  await chain?.stop();
});

async function stranger(privateKey?: PrivateKey): Promise<Libp2p> {
  return createLibp2p({
    privateKey: privateKey ?? (await generateKeyPair("Ed25519")),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
}

/** Sends and waits until the stream has taken it (or closed): the sender's memory stays one frame. */
async function send(stream: Stream, data: Uint8Array): Promise<void> {
  if (stream.send(data)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.removeEventListener("drain", done);
      stream.removeEventListener("close", done);
      resolve();
    };
    stream.addEventListener("drain", done);
    stream.addEventListener("close", done);
  });
}

const junkKey = generateSecretKey();

/** A block frame of ~4 MiB: a real header, then 1.4 M one-byte transactions (what cost ~1 s to decode). */
function junkBlock(height: number): Uint8Array {
  const header = encodeHeader({ ...sampleHeader(height, 1), chainId: chain.chainId });
  const txCount = 1_400_000;
  const body = new Uint8Array(txCount * 3);
  for (let i = 0; i < txCount; i++) body.set([0x12, 0x01, i & 0xff], i * 3);
  return concatBytes(Uint8Array.of(0x0a, ...varint(header.byteLength)), header, body);
}

/** A consensus frame: a proposal signed by a key that is no validator's, carrying `blockBytes`. */
function proposalFrame(height: number, blockBytes: Uint8Array): Uint8Array {
  const proposal = {
    height,
    round: 0,
    polRound: -1,
    blockHash: h32(0x42),
    timeMs: 1,
    proposerAddress: addressFromPublicKey(publicKeyOf(junkKey)),
  };
  const signature = signPortable(proposalSignBytes(chain.chainId, proposal), junkKey);
  return frame(
    encodeMessage(pb.ConsensusMessage, {
      proposal: { proposal: signedProposalFields({ proposal, signature }), block: blockBytes },
    }),
  );
}

const connected = (s: Libp2p) => chain.node.p2p.getConnections(s.peerId).length > 0;
const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
const mib = (b: number) => Math.round(b / (1024 * 1024));

describe("a hostile stock libp2p peer", () => {
  it("a 4 MiB junk proposal costs the peer its connection and the node little CPU or memory", async () => {
    const s = await stranger();
    try {
      await chain.waitForHeight(1);
      const block = junkBlock(1);
      // For the engine's next height, just after a commit: inside the window (checked, not dropped) for about a
      // block interval. (Two past the chain's was too before; it is dropped unchecked while the engine waits out
      // its commit timeout.)
      await chain.waitForHeight(chain.node.app.info().height + 1);
      const message = proposalFrame(chain.node.consensus.height + 1, block);
      expect(message.byteLength).toBeGreaterThan(4 * 1024 * 1024);
      const stream = await s.dialProtocol(address, CONSENSUS_PROTOCOL);
      const cpu = process.cpuUsage();
      const heap = process.memoryUsage().heapUsed;
      const started = performance.now();
      await send(stream, message);
      await waitFor("junk proposer dropped", () => (connected(s) ? undefined : true), 10_000);
      const spent = { cpuMs: cpuMs(process.cpuUsage(cpu)), ms: Math.round(performance.now() - started) };
      const heapMiB = mib(process.memoryUsage().heapUsed - heap);
      console.log(`junk 4 MiB proposal: ${spent.cpuMs} ms CPU (both ends, this process), ${spent.ms} ms, heap +${heapMiB} MiB`);
      // Decoding its 1.4 M txs took ~1 s of CPU more and ~200 MB of heap; checking the signature first takes
      // neither. The CPU is the whole process's (the node's blocks, GC, both ends' encryption): 241-298 ms on a
      // loaded machine, so the bound leaves room for noise and still stands under the decode's second.
      expect(spent.cpuMs).toBeLessThan(800);
      expect(heapMiB).toBeLessThan(100);
    } finally {
      await s.stop();
    }
  });

  it("proposals for heights outside the window cost the peer its connection after a few frames", async () => {
    const s = await stranger();
    try {
      const far = chain.node.app.info().height + 1000;
      const message = proposalFrame(far, junkBlock(far));
      const stream = await s.dialProtocol(address, CONSENSUS_PROTOCOL);
      const heap = process.memoryUsage().heapUsed;
      const cpu = process.cpuUsage();
      // The frames the node read from this peer: each reaches the consensus driver, which drops it unread.
      const strangerId = s.peerId.toString();
      let read = 0;
      const readAt = { first: 0, last: 0 };
      const receive = chain.node.consensus.receive.bind(chain.node.consensus);
      const spy = vi.spyOn(chain.node.consensus, "receive").mockImplementation((m, peer) => {
        if (peer === strangerId) {
          readAt.last = performance.now();
          if (read++ === 0) readAt.first = readAt.last;
        }
        return receive(m, peer);
      });
      let sent = 0;
      // The attack: 70 such frames took a node from 221 MB to ~1 GB, and were never penalised.
      while (sent < 70 && connected(s) && stream.writeStatus === "writable") {
        await send(stream, message);
        sent++;
      }
      await waitFor("far-height sender dropped", () => (connected(s) ? undefined : true), 10_000);
      spy.mockRestore();
      // The budget refills over the frames the node read: from the first to the last (the wait for the
      // disconnect, or a slow start, is not the attack's time).
      const seconds = (readAt.last - readAt.first) / 1000;
      const heapMiB = mib(process.memoryUsage().heapUsed - heap);
      // What the node takes from it is its budget of wasted bytes: the burst, what refills while the frames
      // come, and the frame that overdraws it. (How many the sender wrote depends on its buffers and on how
      // fast a loaded machine lets the node read: 17-18 alone, 30 once in a loaded CI.)
      const { burstBytes, bytesPerSecond } = WASTED_CONSENSUS_BYTES;
      const allowed =
        Math.floor(burstBytes / message.byteLength) + Math.ceil((seconds * bytesPerSecond) / message.byteLength) + 1;
      console.log(
        `far-height proposals: the node read ${read} frames of 4 MiB in ${seconds.toFixed(1)} s (its budget: ${allowed})` +
        ` and cut the peer off; the peer had sent ${sent} of 70; ${cpuMs(process.cpuUsage(cpu))} ms CPU, heap +${heapMiB} MiB`,
      );
      expect(read).toBeGreaterThan(0);
      expect(read).toBeLessThanOrEqual(allowed);
      expect(sent).toBeLessThan(70); // cut off before the attack was through
      expect(heapMiB).toBeLessThan(200);
    } finally {
      await s.stop();
    }
  });

  it("empty frames cost the peer its connection; a peer that keeps offending is banned; blocks go on", async () => {
    const key = await generateKeyPair("Ed25519");
    for (let offence = 0; offence < 3; offence++) {
      const s = await stranger(key);
      try {
        const stream = await s.dialProtocol(address, CONSENSUS_PROTOCOL);
        stream.send(Uint8Array.of(0, 0, 0)); // three empty frames: a stock LengthPrefixedDecoder skips them silently
        await waitFor("empty-frame sender dropped", () => (connected(s) ? undefined : true), 10_000);
      } finally {
        await s.stop();
      }
    }
    // Offences of 50 points each reach the ban threshold (-100): the node keeps no connection to that peer
    // even when it sends nothing, while a newcomer's connection stays.
    const [banned, newcomer] = [await stranger(key), await stranger()];
    try {
      await newcomer.dial(address);
      await banned.dial(address).catch(() => undefined);
      await waitFor("banned peer refused", () => (connected(banned) ? undefined : true), 10_000);
      expect(connected(newcomer)).toBe(true);
    } finally {
      await banned.stop();
      await newcomer.stop();
    }
    const before = chain.node.app.info().height;
    await chain.waitForHeight(before + 3);
  });
});
