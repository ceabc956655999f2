import pino from "pino";
import { describe, expect, it } from "vitest";
import {
  answerTxFetch,
  MAX_OFFERED_SOURCES,
  MAX_SOURCES_PER_PROPOSAL,
  ProposalAssembler,
} from "../../node/compact-proposal.ts";
import type { CompactBlock } from "../../node/consensus-checks.ts";
import { TxFetchFailed } from "../../p2p/tx-fetch.ts";
import { type Block, blockTxHashes, commitHash, encodeBlock, evidenceRoot, txsRoot } from "../../proto/block.ts";
import type { TxFetchRequest, TxFetchResponse } from "../../proto/p2p.ts";
import type { TransferDeadlineOptions } from "../../p2p/transfer-deadline.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { sampleHeader } from "../helpers/fixtures.ts";

/**
 * Review finding F2: any peer can forward a copy of a signed compact proposal. If the first copy came from
 * a peer that then stalls the tx fetch, the proposal must still be assembled from the copy the proposer
 * (or any other honest peer) sent meanwhile, well within the propose timeout, not lost for the round.
 * The fetch is a stand-in (no network): a stalling peer fails its fetch as the real one does, after its
 * idle timeout; an honest one answers from the block.
 */
const CHAIN = "opl-test-1";

function blockOf(n: number): Block {
  const alice = new TestAccount();
  const fee = DEFAULT_PARAMS.minFee;
  const txs = Array.from({ length: n }, () => alice.transfer(CHAIN, new Uint8Array(20), 1n, fee).bytes);
  const draft: Block = { header: sampleHeader(5, 1), txs, lastCommit: undefined, evidence: [] };
  const header = {
    ...draft.header,
    txsRoot: txsRoot(blockTxHashes(draft)),
    lastCommitHash: commitHash(undefined),
    evidenceRoot: evidenceRoot([]),
  };
  return { ...draft, header };
}

const compactOf = (b: Block): CompactBlock => ({
  header: b.header,
  lastCommit: b.lastCommit,
  evidence: b.evidence,
  txHashes: blockTxHashes(b),
});

/**
 * An assembler with an empty mempool whose fetches go to `peers`: "stall" fails after its timeout. With
 * `admitting`, every tx looks like it is still being admitted here (the assembler waits for it first).
 */
function setup(
  block: Block,
  peers: Record<string, "honest" | "stall">,
  admitting = false,
  timeoutMs = 2000,
  limits = { maxBlockTxs: DEFAULT_PARAMS.maxBlockTxs, lastHeight: block.header.height - 1 },
) {
  const known = { block, bytes: () => encodeBlock(block) };
  const asked: string[] = [];
  let open = 0;
  let mostOpen = 0;
  const fetch = (peer: string, req: TxFetchRequest, within: TransferDeadlineOptions): Promise<TxFetchResponse> => {
    asked.push(peer);
    if (peers[peer] === "honest") return Promise.resolve(answerTxFetch(known, req) as TxFetchResponse);
    mostOpen = Math.max(mostOpen, ++open);
    return new Promise((_, reject) =>
      setTimeout(() => {
        open--;
        reject(new TxFetchFailed(`no answer within ${within.idleMs} ms`, "stalled"));
      }, within.idleMs));
  };
  const never = new Promise<void>(() => {});
  const offences: { peer: string; reason: string; kind: string }[] = [];
  const assembler = new ProposalAssembler({
    mempool: { get: () => undefined, admission: () => (admitting ? never : undefined) },
    fetch,
    maxBlockTxs: () => limits.maxBlockTxs,
    lastHeight: () => limits.lastHeight,
    onMisbehaviour: (peer, reason, kind) => offences.push({ peer, reason, kind }),
    log: pino({ level: "silent" }),
    options: { timeoutMs, hedgeMs: 100, admissionWaitMs: 300 },
  });
  return { assembler, asked, offences, mostOpen: () => mostOpen };
}

describe("a compact proposal's txs, when the first peer to forward it stalls", () => {
  it("is assembled from another peer's copy, before the stalled fetch would time out", async () => {
    const block = blockOf(8);
    const { assembler, asked } = setup(block, { mallory: "stall", proposer: "honest" });
    const started = performance.now();
    const first = assembler.assemble(compactOf(block), "mallory");
    const second = assembler.assemble(compactOf(block), "proposer"); // the proposer's own copy, a moment later
    const [a, b] = await Promise.all([first, second]);
    const ms = performance.now() - started;
    expect(a).toBeDefined();
    expect(b).toBe(a); // one assembly for both copies
    expect(encodeBlock((a as { block: Block }).block)).toEqual(encodeBlock(block));
    expect(asked).toEqual(["mallory", "proposer"]);
    expect(ms).toBeLessThan(2000); // the stalled fetch's timeout: the block did not wait for it
    expect(assembler.stats).toMatchObject({ assembled: 1, wholeBlocks: 1, fetchedTxs: 8, failed: 0 });
  });

  it("uses a copy that arrived while it waited for txs being admitted here", async () => {
    const block = blockOf(8);
    const { assembler, asked } = setup(block, { mallory: "stall", proposer: "honest" }, true);
    const started = performance.now();
    const first = assembler.assemble(compactOf(block), "mallory");
    const second = assembler.assemble(compactOf(block), "proposer"); // during the 300 ms admission wait
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(asked).toEqual(["mallory", "proposer"]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("a few stalling peers that forward first cannot lock out a later copy; at most 3 fetches at once", async () => {
    const block = blockOf(4);
    const sybils = Array.from({ length: 4 }, (_, i) => `sybil${i}`);
    const peers = { ...Object.fromEntries(sybils.map((p) => [p, "stall" as const])), proposer: "honest" as const };
    const { assembler, asked, mostOpen } = setup(block, peers);
    const copies = [...sybils, "proposer"].map((p) => assembler.assemble(compactOf(block), p));
    const results = await Promise.all(copies);
    expect(results[0]).toBeDefined();
    expect(asked).toContain("proposer");
    expect(mostOpen()).toBeLessThanOrEqual(MAX_SOURCES_PER_PROPOSAL);
  });

  it(`considers at most MAX_OFFERED_SOURCES peers, and gives up once every one asked failed`, async () => {
    const block = blockOf(4);
    const peers = Object.fromEntries(Array.from({ length: MAX_OFFERED_SOURCES + 4 }, (_, i) => [`p${i}`, "stall" as const]));
    const { assembler, asked, mostOpen } = setup(block, peers, false, 300);
    const results = await Promise.all(Object.keys(peers).map((p) => assembler.assemble(compactOf(block), p)));
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(asked).toHaveLength(MAX_OFFERED_SOURCES);
    expect(mostOpen()).toBeLessThanOrEqual(MAX_SOURCES_PER_PROPOSAL);
    expect(assembler.stats.failed).toBe(1);
  });

  it("with an honest first peer, makes one fetch however many copies arrive", async () => {
    const block = blockOf(4);
    const { assembler, asked } = setup(block, { proposer: "honest", relay1: "honest", relay2: "honest" });
    const got = await Promise.all(["proposer", "relay1", "relay2"].map((p) => assembler.assemble(compactOf(block), p)));
    expect(got[0]).toBeDefined();
    expect(asked).toEqual(["proposer"]);
  });
});

describe("a whole block fetched for a compact proposal", () => {
  it("two heights ahead, is bounded by the structural cap, not the limit in force after the last block", async () => {
    // Governance may raise maxBlockTxs in the block between: the proposer is honest, not misbehaving.
    const block = blockOf(8);
    const ahead = { maxBlockTxs: 4, lastHeight: block.header.height - 2 };
    const { assembler, offences } = setup(block, { proposer: "honest" }, false, 2000, ahead);
    const got = await assembler.assemble(compactOf(block), "proposer");
    expect(got).toBeDefined();
    expect(offences).toEqual([]);
  });

  it("for the next height, past the limit in force, is refused and its sender charged", async () => {
    const block = blockOf(8);
    const next = { maxBlockTxs: 4, lastHeight: block.header.height - 1 };
    const { assembler, offences } = setup(block, { proposer: "honest" }, false, 2000, next);
    expect(await assembler.assemble(compactOf(block), "proposer")).toBeUndefined();
    expect(offences).toMatchObject([{ peer: "proposer", kind: "invalid" }]);
  });
});
