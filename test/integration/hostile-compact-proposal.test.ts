import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { identify } from "@libp2p/identify";
import type { Stream } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { homePaths } from "../../node/config.ts";
import { CONSENSUS_PROTOCOL } from "../../node/network.ts";
import { loadValidatorKey } from "../../node/validator-key.ts";
import { frame } from "../../p2p/gossip.ts";
import { blockHash, commitHash, encodeBlock, evidenceRoot, type Header, txsRoot } from "../../proto/block.ts";
import { encodeMessage } from "../../proto/codec.ts";
import { type Proposal, proposalSignBytes, signedProposalFields } from "../../proto/consensus.ts";
import { MAX_CONSENSUS_MESSAGE_BYTES } from "../../proto/p2p.ts";
import { pb } from "../../proto/schema.ts";
import { sampleHeader } from "../helpers/fixtures.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";
import { waitFor } from "../helpers/tmp.ts";

/**
 * Issue 12, compact proposals in a hostile world: a stock libp2p peer sends compact proposals that would
 * cost an unguarded node dearly: a million tx hashes (32 MB), a hundred thousand within the frame limit,
 * and, signed with the validator's own key (a Byzantine proposer), a block of the chain's maxBlockTxs
 * hashes that nobody has, whose txs it then does not serve. Each costs bounded CPU and memory, the peer
 * loses its connection, and the chain keeps committing.
 */
let chain: TestChain;
let address: Multiaddr;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 1000 });
  const status = await chain.rpc.call<{ p2pAddresses: string[] }>("node_getStatus");
  address = multiaddr(status.p2pAddresses[0]);
  await chain.waitForHeight(1);
});
afterAll(async () => {
  await chain?.stop();
});

async function stranger(): Promise<Libp2p> {
  return createLibp2p({
    privateKey: await generateKeyPair("Ed25519"),
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
}

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

/** Distinct hashes nobody has. */
function junkHashes(count: number): Uint8Array {
  const out = new Uint8Array(count * 32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) view.setUint32(i * 32, i + 1);
  return out;
}

/** A compact proposal frame of `header`'s block, signed by `sign` as `proposer`, listing `hashes`. */
function compactFrame(
  header: Header,
  hashes: Uint8Array,
  sign: (bytes: Uint8Array) => Uint8Array,
  proposer: Uint8Array,
): Uint8Array {
  const proposal: Proposal = {
    height: header.height,
    round: 0,
    polRound: -1,
    blockHash: blockHash(header),
    timeMs: header.timeMs,
    proposerAddress: proposer,
  };
  const signature = sign(proposalSignBytes(chain.chainId, proposal));
  const block = encodeBlock({ header, txs: [], lastCommit: undefined, evidence: [] });
  return frame(
    encodeMessage(pb.ConsensusMessage, {
      compactProposal: { proposal: signedProposalFields({ proposal, signature }), block, txHashes: hashes },
    }),
  );
}

/** A header for `height` that commits to `hashes` (and to no last commit, no evidence). */
function headerFor(height: number, hashes: Uint8Array, proposer: Uint8Array): Header {
  const list = Array.from({ length: hashes.byteLength / 32 }, (_, i) => hashes.subarray(i * 32, (i + 1) * 32));
  return {
    ...sampleHeader(height, Date.now()),
    chainId: chain.chainId,
    txsRoot: txsRoot(list),
    lastCommitHash: commitHash(undefined),
    evidenceRoot: evidenceRoot([]),
    proposerAddress: proposer,
  };
}

const connected = (s: Libp2p) => chain.node.p2p.getConnections(s.peerId).length > 0;
const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
const mib = (b: number) => Math.round(b / (1024 * 1024));

/** Sends one frame from a fresh stranger; resolves when the node has hung up on it. */
async function offend(message: Uint8Array, what: string): Promise<{ cpuMs: number; heapMiB: number }> {
  const s = await stranger();
  try {
    const stream = await s.dialProtocol(address, CONSENSUS_PROTOCOL);
    const cpu = process.cpuUsage();
    const heap = process.memoryUsage().heapUsed;
    await send(stream, message);
    await waitFor(`${what}: sender dropped`, () => (connected(s) ? undefined : true), 15_000);
    const spent = { cpuMs: cpuMs(process.cpuUsage(cpu)), heapMiB: mib(process.memoryUsage().heapUsed - heap) };
    console.log(`${what}: ${spent.cpuMs} ms CPU (both ends, this process), heap +${spent.heapMiB} MiB`);
    return spent;
  } finally {
    await s.stop();
  }
}

/**
 * A height whose proposals the node checks, for about a block interval from now: the engine's next (the engine
 * takes its height and the next; the chain's next is one of those), just after a block was committed, so that
 * the message reaches the node before that height is committed in turn. (Two past the chain's, which this
 * was before, is dropped unchecked now while the engine waits out its commit timeout: it lags the chain.)
 */
async function checkedHeight(): Promise<number> {
  await chain.waitForHeight(chain.node.app.info().height + 1);
  return chain.node.consensus.height + 1;
}

describe("hostile compact proposals", () => {
  const junk = generateSecretKey();
  const junkAddress = addressFromPublicKey(publicKeyOf(junk));
  const signJunk = (b: Uint8Array) => signPortable(b, junk);

  it("a million hashes (32 MB) are refused by the frame limit, before any decoding", async () => {
    const hashes = junkHashes(1_000_000);
    const height = await checkedHeight();
    const message = compactFrame(headerFor(height, new Uint8Array(0), junkAddress), hashes, signJunk, junkAddress);
    expect(message.byteLength).toBeGreaterThan(MAX_CONSENSUS_MESSAGE_BYTES);
    const spent = await offend(message, "1,000,000 hashes");
    expect(spent.cpuMs).toBeLessThan(1000);
    expect(spent.heapMiB).toBeLessThan(100);
  });

  it("a hundred thousand hashes within the frame limit are refused by their count, before the signature", async () => {
    const hashes = junkHashes(100_000);
    const height = await checkedHeight();
    const message = compactFrame(headerFor(height, new Uint8Array(0), junkAddress), hashes, signJunk, junkAddress);
    expect(message.byteLength).toBeLessThan(MAX_CONSENSUS_MESSAGE_BYTES);
    const spent = await offend(message, "100,000 hashes");
    expect(spent.cpuMs).toBeLessThan(1000);
    expect(spent.heapMiB).toBeLessThan(100);
  });

  it("a validator's proposal of maxBlockTxs hashes nobody has: one bounded fetch, the peer is charged, blocks go on", async () => {
    // A Byzantine proposer: the validator's own key, in a stranger's hands.
    const key = loadValidatorKey(homePaths(chain.home).validatorKey);
    const maxTxs = chain.node.genesis.params.maxBlockTxs;
    const hashes = junkHashes(maxTxs);
    const height = await checkedHeight();
    const message = compactFrame(headerFor(height, hashes, key.address), hashes, (b) => key.sign(b), key.address);
    const failedBefore = chain.node.network.proposalStats.failed;
    const spent = await offend(message, `${maxTxs} hashes nobody has, validator-signed`);
    // It was checked and a fetch was tried (the stranger serves no txs): that failed, the proposal is dropped.
    expect(chain.node.network.proposalStats.failed).toBe(failedBefore + 1);
    expect(spent.cpuMs).toBeLessThan(1500);
    expect(spent.heapMiB).toBeLessThan(100);
    const before = chain.node.app.info().height;
    await chain.waitForHeight(before + 3);
  });
});
