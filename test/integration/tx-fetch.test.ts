import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { answerTxFetch, ProposalAssembler } from "../../node/compact-proposal.ts";
import { type CompactBlock, proposedCompactBlock } from "../../node/consensus-checks.ts";
import { Mempool } from "../../node/mempool.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import type { Stream } from "@libp2p/interface";
import {
  answerBytes,
  TX_FETCH_BYTES_PER_PEER_SECOND,
  TX_FETCH_PROTOCOL,
  TX_FETCH_REQUESTS_HELD_STRANGERS,
  TxFetch,
} from "../../p2p/tx-fetch.ts";
import { MAX_TX_FETCH_REQUEST_BYTES } from "../../proto/block-limits.ts";
import { lengthPrefixed } from "../helpers/wire-bytes.ts";
import { waitFor } from "../helpers/tmp.ts";
import {
  type Block,
  blockHash,
  blockTxHashes,
  bodyChecked,
  commitHash,
  encodeBlock,
  evidenceRoot,
  txsRoot,
} from "../../proto/block.ts";
import { compactProposalOf, encodeTxFetchResponse, type TxFetchRequest, type TxFetchResponse } from "../../proto/p2p.ts";
import type { Account } from "../../proto/records.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { sampleHeader } from "../helpers/fixtures.ts";
import { TestTeardown } from "../helpers/loopback-host.ts";

/**
 * The fetch behind compact proposals, over real libp2p on 127.0.0.1: a node holding some of a proposed
 * block's txs gets the rest from the peer, by hash, in one request, or the whole block when most is
 * missing; a peer answering with other txs, refusing, or staying silent costs a bounded wait and is
 * reported (silence is not charged: a loaded proposer is slow, not hostile).
 */
const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const log = pino({ level: "silent" });
const teardown = new TestTeardown();
afterEach(() => teardown.undo());
const host = () => teardown.host();

/** A block of `n` transfers from one sender (a real header over their hashes), and the sender's state. */
function blockOf(n: number, height = 5): { block: Block; state: Map<string, Account> } {
  const alice = new TestAccount();
  const state = new Map<string, Account>([[keyId(alice.address), { nonce: 0, balance: 10_000n * FEE }]]);
  const txs = Array.from({ length: n }, () => alice.transfer(CHAIN, new Uint8Array(20), 1n, FEE).bytes);
  const draft: Block = { header: sampleHeader(height, 1), txs, lastCommit: undefined, evidence: [] };
  const header = {
    ...draft.header,
    txsRoot: txsRoot(blockTxHashes(draft)),
    lastCommitHash: commitHash(undefined),
    evidenceRoot: evidenceRoot([]),
  };
  return { block: { ...draft, header }, state };
}

const compactOf = (b: Block): CompactBlock => ({
  header: b.header,
  lastCommit: b.lastCommit,
  evidence: b.evidence,
  txHashes: blockTxHashes(b),
});

/** The compact block as a node has it from a peer's compact proposal: checked by proposedCompactBlock. */
function checkedCompactOf(b: Block): CompactBlock {
  const { height, timeMs, proposerAddress } = b.header;
  const proposal = { height, round: 0, polRound: -1, blockHash: blockHash(b.header), timeMs, proposerAddress };
  const sp = { proposal, signature: new Uint8Array(64) }; // the signature is checkProposal's to check, not this
  const c = compactProposalOf(sp, b);
  return proposedCompactBlock(sp, c.blockBytes, c.txHashes, b.txs.length);
}

/** A node (mempool over `state`, tx fetch, assembler) and a peer whose fetch answers come from `serve`. */
async function setup(
  state: Map<string, Account>,
  serve: (req: TxFetchRequest) => TxFetchResponse | undefined,
  timeoutMs = 2000,
) {
  const mempool = new Mempool(
    {
      ...{ maxTxs: 1000, maxBytes: 1 << 20, maxPerSender: 100 },
      ...{ ttlBlocks: 100, ttlMs: 60_000, maxGappedPerSender: 64, maxGappedTotal: 64 },
    },
    {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: new TxVerifier(CHAIN),
      account: (a) => state.get(keyId(a)) ?? { nonce: 0, balance: 0n },
      includedAt: async () => undefined,
    },
  );
  const [node, peer] = [await host(), await host()];
  const offences: { reason: string; kind: string }[] = [];
  const served: TxFetchRequest[] = [];
  const server = await TxFetch.start({
    host: peer,
    log,
    serve: (_p, req) => {
      served.push(req);
      return serve(req);
    },
    onMisbehaviour: () => {},
  });
  teardown.defer(() => server.stop());
  const client = await TxFetch.start({ host: node, log, serve: () => undefined, onMisbehaviour: () => {} });
  teardown.defer(() => client.stop());
  await node.dial(peer.getMultiaddrs()[0]);
  const assembler = new ProposalAssembler({
    mempool,
    fetch: (p, req, within) => client.fetch(p, req, within),
    maxBlockTxs: () => DEFAULT_PARAMS.maxBlockTxs,
    lastHeight: () => 4, // the blocks here are for height 5 (the next), unless a test says otherwise
    onMisbehaviour: (_p, reason, kind) => offences.push({ reason, kind }),
    log,
    options: { timeoutMs },
  });
  return { mempool, assembler, peerId: peer.peerId.toString(), peer, offences, served };
}

describe("fetching a compact proposal's missing txs", () => {
  it("fetches the few txs it lacks by hash, in one request, and rebuilds the very block", async () => {
    const { block, state } = blockOf(10);
    const known = { block, bytes: () => encodeBlock(block) };
    const { mempool, assembler, peerId, served } = await setup(state, (req) => answerTxFetch(known, req));
    for (const tx of block.txs.slice(0, 7)) await mempool.add(tx);
    const got = await assembler.assemble(checkedCompactOf(block), peerId);
    expect(got).toBeDefined();
    expect(encodeBlock(got?.block as Block)).toEqual(encodeBlock(block));
    // Its roots were checked with the compact proposal: its validation does not compute them again.
    expect(bodyChecked(got?.block as Block)).toBe(true);
    expect(served).toHaveLength(1);
    expect(served[0].txHashes.byteLength).toBe(3 * 32);
    expect(assembler.stats).toMatchObject({ assembled: 1, txsFromMempool: 7, fetches: 1, fetchedTxs: 3, failed: 0 });
    // A compact block that proposedCompactBlock did not check is rebuilt unchecked: its roots are computed later.
    const unchecked = await assembler.assemble(compactOf(block), peerId);
    expect(encodeBlock(unchecked?.block as Block)).toEqual(encodeBlock(block));
    expect(bodyChecked(unchecked?.block as Block)).toBe(false);
  });

  it("asks for the whole block when most of it is missing (an empty mempool after a restart)", async () => {
    const { block, state } = blockOf(10);
    const known = { block, bytes: () => encodeBlock(block) };
    const { assembler, peerId, served } = await setup(state, (req) => answerTxFetch(known, req));
    const got = await assembler.assemble(compactOf(block), peerId);
    expect(got?.bytes).toEqual(encodeBlock(block));
    expect(served[0].txHashes.byteLength).toBe(0);
    expect(assembler.stats).toMatchObject({ assembled: 1, wholeBlocks: 1, fetchedTxs: 10 });
  });

  it("a peer answering with other txs is misbehaving, one not serving the protocol unresponsive; no block is taken", async () => {
    const { block, state } = blockOf(10);
    const other = blockOf(10).block;
    const liar = await setup(state, (req) => ({ txs: other.txs.slice(0, req.txHashes.byteLength / 32) }));
    for (const tx of block.txs.slice(0, 7)) await liar.mempool.add(tx);
    expect(await liar.assembler.assemble(compactOf(block), liar.peerId)).toBeUndefined();
    expect(liar.offences).toEqual([{ kind: "invalid", reason: expect.stringMatching(/does not have the hash asked for/) }]);

    // A refusal (it may have committed the block meanwhile) is not charged; a peer not speaking the protocol is.
    const refuser = await setup(state, () => undefined);
    expect(await refuser.assembler.assemble(compactOf(block), refuser.peerId)).toBeUndefined();
    expect(refuser.offences).toEqual([]);
    await refuser.peer.unhandle(TX_FETCH_PROTOCOL);
    expect(await refuser.assembler.assemble(compactOf(block), refuser.peerId)).toBeUndefined();
    expect(refuser.offences.map((o) => o.kind)).toEqual(["unresponsive"]);
  });

  it("a silent peer costs one bounded wait, is not charged, and gets at most two fetches in flight", async () => {
    const blocks = [1, 2, 3].map((i) => blockOf(4, 10 + i));
    const state = new Map([...blocks.flatMap((b) => [...b.state])]);
    const { assembler, peerId, peer, offences } = await setup(state, () => undefined, 500);
    // The peer takes the request and never answers.
    await peer.unhandle(TX_FETCH_PROTOCOL);
    await peer.handle(TX_FETCH_PROTOCOL, () => {});
    const started = performance.now();
    const results = await Promise.all(blocks.map((b) => assembler.assemble(compactOf(b.block), peerId)));
    const ms = performance.now() - started;
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(assembler.stats).toMatchObject({ fetches: 2, failed: 3 }); // the third was never sent
    expect(offences).toEqual([]);
    expect(ms).toBeLessThan(5000);
  });
  it("a peer asking for whole blocks again and again draws at most a block's worth of bytes a second", async () => {
    const block = new Uint8Array(2 * 1024 * 1024).fill(7); // a 2 MiB block
    const answer: TxFetchResponse = { block };
    expect(answerBytes(answer)).toBe(encodeTxFetchResponse(answer).byteLength);
    const txs: TxFetchResponse = { txs: [new Uint8Array(100), new Uint8Array(20_000)] };
    expect(answerBytes(txs)).toBe(encodeTxFetchResponse(txs).byteLength);
    const [node, peer] = [await host(), await host()];
    const server = await TxFetch.start({ host: peer, log, serve: () => answer, onMisbehaviour: () => {} });
    teardown.defer(() => server.stop());
    const client = await TxFetch.start({ host: node, log, serve: () => undefined, onMisbehaviour: () => {} });
    teardown.defer(() => client.stop());
    await node.dial(peer.getMultiaddrs()[0]);
    const req: TxFetchRequest = { height: 1, blockHash: new Uint8Array(32), txHashes: new Uint8Array(0) };
    // 12 whole blocks asked one after another (24 MiB; each answer takes tens of ms on loopback): at most a
    // block's worth a second is answered, the rest refused until the next second.
    const within = { idleMs: 5000, minBytesPerSecond: 1 };
    const started = performance.now();
    let answered = 0;
    for (let i = 0; i < 12; i++) {
      try {
        await client.fetch(peer.peerId.toString(), req, within);
        answered++;
      } catch {
        // refused: over the byte budget
      }
    }
    const seconds = Math.ceil((performance.now() - started) / 1000);
    expect(answered).toBeGreaterThan(0);
    expect(answered * answerBytes(answer)).toBeLessThanOrEqual((seconds + 1) * TX_FETCH_BYTES_PER_PEER_SECOND);
    expect(answered).toBeLessThan(12);
  });

  it("strangers' requests being read hold at most TX_FETCH_REQUESTS_HELD_STRANGERS maximal requests, the oldest reset past it", async () => {
    // Each request stream held up to ~625 KiB while it trickled in (4 streams a connection, 100 connections),
    // before any budget was taken: the request is read first.
    const [node, named] = [await host(), await host()];
    const offences: string[] = [];
    const server = await TxFetch.start({
      host: node,
      log,
      serve: () => undefined,
      onMisbehaviour: (_p, reason) => offences.push(reason),
      persistentPeers: new Set([named.peerId.toString()]),
      options: { serveTimeoutMs: 120_000 }, // far past the test: only the bound resets a stream here
    });
    teardown.defer(() => server.stop());
    const max = MAX_TX_FETCH_REQUEST_BYTES;
    const request = lengthPrefixed(new Uint8Array(max).fill(1));
    const streams: Stream[] = [];
    for (let i = 0; i <= TX_FETCH_REQUESTS_HELD_STRANGERS; i++) {
      const stranger = await host();
      const stream = await stranger.dialProtocol(node.getMultiaddrs()[0], TX_FETCH_PROTOCOL);
      stream.send(request.subarray(0, request.byteLength - 1)); // all but its last byte: held, awaited
      streams.push(stream);
      if (i === TX_FETCH_REQUESTS_HELD_STRANGERS) break;
      await waitFor("its request held", () => (server.requestBytesHeldByStrangers >= (i + 1) * max ? true : undefined));
    }
    // The request under way longest goes, not the newcomer's (the code before held all five until the
    // request timeout).
    await waitFor("the oldest request's stream reset", () => (streams[0].status !== "open" ? true : undefined));
    await waitFor("the newcomer's request held", () =>
      (server.requestBytesHeldByStrangers > (TX_FETCH_REQUESTS_HELD_STRANGERS - 1) * max ? true : undefined));
    expect(server.requestBytesHeldByStrangers).toBeLessThanOrEqual(TX_FETCH_REQUESTS_HELD_STRANGERS * max);
    for (const s of streams.slice(1)) expect(s.status).toBe("open");
    expect(offences).toEqual([]); // reset, not penalised
  });
});
