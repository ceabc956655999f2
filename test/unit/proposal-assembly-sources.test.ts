import pino from "pino";
import { describe, expect, it } from "vitest";
import { answerTxFetch, MAX_SOURCES_PER_PROPOSAL, ProposalAssembler } from "../../node/compact-proposal.ts";
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

/** An assembler with an empty mempool whose fetches go to `peers`: "stall" fails after its timeout. */
function setup(block: Block, peers: Record<string, "honest" | "stall">) {
  const known = { block, bytes: () => encodeBlock(block) };
  const asked: string[] = [];
  const fetch = (peer: string, req: TxFetchRequest, within: TransferDeadlineOptions): Promise<TxFetchResponse> => {
    asked.push(peer);
    if (peers[peer] === "honest") return Promise.resolve(answerTxFetch(known, req) as TxFetchResponse);
    return new Promise((_, reject) =>
      setTimeout(() => reject(new TxFetchFailed(`no answer within ${within.idleMs} ms`, "stalled")), within.idleMs));
  };
  const assembler = new ProposalAssembler({
    mempool: { get: () => undefined, admission: () => undefined },
    fetch,
    maxBlockTxs: DEFAULT_PARAMS.maxBlockTxs,
    onMisbehaviour: () => {},
    log: pino({ level: "silent" }),
    options: { timeoutMs: 2000, hedgeMs: 100 },
  });
  return { assembler, asked };
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

  it("asks at most MAX_SOURCES_PER_PROPOSAL peers, and gives up once they all failed", async () => {
    const block = blockOf(4);
    const peers = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`sybil${i}`, "stall" as const]));
    const { assembler, asked } = setup(block, peers);
    const copies = Object.keys(peers).map((p) => assembler.assemble(compactOf(block), p));
    const results = await Promise.all(copies);
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(asked).toHaveLength(MAX_SOURCES_PER_PROPOSAL);
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
