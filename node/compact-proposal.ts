import type { Logger } from "pino";
import { equalBytes, toHex } from "../crypto/bytes.ts";
import { sha256 } from "../crypto/hash.ts";
import { TxFetchFailed } from "../p2p/tx-fetch.ts";
import { type Block, blockHash, blockTxHashes, bodyMismatch, decodeBlock, HASH_LENGTH, knownMatchingBody, knownTxHashes, scanBlock } from "../proto/block.ts";
import { lengthDelimitedFieldBytes } from "../proto/block-limits.ts";
import { CodecError } from "../proto/codec.ts";
import type { TransferDeadlineOptions } from "../p2p/transfer-deadline.ts";
import type { TxFetchRequest, TxFetchResponse } from "../proto/p2p.ts";
import { checkedCompactBlock, type CompactBlock } from "./consensus-checks.ts";
import type { Mempool } from "./mempool.ts";
import { proposalTxLimit } from "./proposal-tx-limit.ts";
import { settledWithin } from "./settled-within.ts";

/**
 * Compact block proposals, the receiving side: a proposal names its block's txs by hash (the peers hold
 * nearly all of them: the tx relay gossiped them at admission), and the block is rebuilt from the mempool.
 * Txs still being admitted here (their signatures in the verifier) are waited for briefly; what is still
 * missing is asked of the peer that sent the proposal, in ONE request of at most the block's tx count
 * (the whole block when most of it is missing: a node that just restarted with an empty mempool), answered
 * within `timeoutMs`. Every tx of the answer must hash to the hash asked for, checked before anything
 * decodes it; a peer that answers anything else is reported as misbehaving, one that does not answer as
 * unresponsive. A proposal whose txs did not arrive is as if never received: the round's timeout takes
 * over, and a re-send of it starts a new fetch. At most MAX_FETCHES_PER_PEER fetches are in flight per peer.
 *
 * Any peer can forward a copy of a signed proposal, so the first copy may come from one that then stalls
 * the fetch (review finding F2). Copies from other peers that arrive meanwhile are kept as further sources:
 * one is asked when a fetch fails, or when the fetches under way have not answered within `hedgeMs`, up
 * to MAX_SOURCES_PER_PROPOSAL fetches at once and MAX_OFFERED_SOURCES peers in all; the first good answer
 * wins. Copies that arrive while the txs being admitted here are waited for count too. An honest network, where the
 * proposer answers at once, makes one fetch as before.
 */
export interface AssembledBlock {
  block: Block;
  /** The block's canonical bytes, when they came whole from the peer. */
  bytes?: Uint8Array;
}

export interface ProposalAssemblerOptions {
  /** How long the answer may take to start, or stall once started (a loaded peer)... */
  timeoutMs: number;
  /** ...and the rate its bytes must keep up (a whole block of megabytes is heard out while it comes). */
  minBytesPerSecond: number;
  /** How long txs being admitted here may take before they count as missing. */
  admissionWaitMs: number;
  /** How long the fetches under way may go unanswered before another peer's copy is asked too. */
  hedgeMs: number;
}

/** Within the 3 s propose timeout: txs that arrive later than that are of no use to the round anyway. */
export const DEFAULT_PROPOSAL_ASSEMBLY: ProposalAssemblerOptions = {
  timeoutMs: 2_000,
  minBytesPerSecond: 1024 * 1024,
  admissionWaitMs: 300,
  hedgeMs: 500,
};

export const MAX_FETCHES_PER_PEER = 2;

/** Peers asked at once for one proposal's missing txs (the one that sent it first, then others' copies). */
export const MAX_SOURCES_PER_PROPOSAL = 3;

/**
 * Peers whose copies of one proposal are kept as sources, asked in turn as fetches fail: a few peers that
 * forward it first and stall cannot lock out the proposer's own copy.
 */
export const MAX_OFFERED_SOURCES = 16;

/** Compact proposals rebuilt (assembled), txs found here or fetched, fetches made, whole blocks, failures. */
export interface AssemblyStats {
  assembled: number;
  txsFromMempool: number;
  fetches: number;
  fetchedTxs: number;
  wholeBlocks: number;
  failed: number;
}

export interface ProposalAssemblerDeps {
  mempool: Pick<Mempool, "get" | "admission">;
  fetch(peer: string, req: TxFetchRequest, within: TransferDeadlineOptions): Promise<TxFetchResponse>;
  /**
   * The chain's maxBlockTxs in force (read each time): a whole block from a peer for the next height is
   * refused past it before it is decoded (one beyond: the structural cap, see proposalTxLimit).
   */
  maxBlockTxs: () => number;
  /** The chain's last committed height (read each time). */
  lastHeight: () => number;
  /** `unresponsive`: no answer (may be the network's fault); `invalid`: an answer no honest peer gives. */
  onMisbehaviour(peer: string, reason: string, kind: "unresponsive" | "invalid"): void;
  log: Logger;
  options?: Partial<ProposalAssemblerOptions>;
}

export class ProposalAssembler {
  private readonly d: ProposalAssemblerDeps;
  private readonly o: ProposalAssemblerOptions;
  /** Assemblies under way, by block hash (hex): a re-send of the same proposal joins the one under way. */
  private readonly pending = new Map<string, Promise<AssembledBlock | undefined>>();
  /** Fetches under way, by block hash (hex): how a copy from another peer offers itself as a source. */
  private readonly sources = new Map<string, (peer: string) => void>();
  private readonly fetching = new Map<string, number>();
  /** Counters for the operator and the tests. */
  readonly stats: AssemblyStats = ProposalAssembler.noStats();

  static noStats(): AssemblyStats {
    return { assembled: 0, txsFromMempool: 0, fetches: 0, fetchedTxs: 0, wholeBlocks: 0, failed: 0 };
  }

  constructor(deps: ProposalAssemblerDeps) {
    this.d = deps;
    this.o = { ...DEFAULT_PROPOSAL_ASSEMBLY, ...deps.options };
  }

  /** The block of a checked compact proposal, or undefined if its txs could not be had in time. */
  assemble(c: CompactBlock, peer: string | undefined): Promise<AssembledBlock | undefined> {
    const value = toHex(blockHash(c.header));
    let p = this.pending.get(value);
    if (p === undefined) {
      // Copies from other peers are kept from the start: most arrive while this one waits for admissions.
      const early: string[] = [];
      this.sources.set(value, (other) => {
        if (other !== peer && !early.includes(other) && early.length < MAX_OFFERED_SOURCES) early.push(other);
      });
      p = this.run(c, value, peer, early).finally(() => {
        this.pending.delete(value);
        this.sources.delete(value);
      });
      this.pending.set(value, p);
    } else if (peer !== undefined) {
      this.sources.get(value)?.(peer);
    }
    return p;
  }

  private async run(
    c: CompactBlock,
    value: string,
    peer: string | undefined,
    early: readonly string[],
  ): Promise<AssembledBlock | undefined> {
    const started = Date.now();
    const ids = c.txHashes.map(toHex);
    const txs = ids.map((id) => this.d.mempool.get(id)?.bytes);
    let missing = missingOf(txs);
    let awaited = 0;
    if (missing.length > 0) {
      // Txs relayed just before the proposal are often still having their signatures checked here.
      const admissions = missing.map((i) => this.d.mempool.admission(ids[i])).filter((a) => a !== undefined);
      awaited = admissions.length;
      if (admissions.length > 0) {
        await settledWithin(Promise.allSettled(admissions), this.o.admissionWaitMs);
        for (const i of missing) txs[i] = this.d.mempool.get(ids[i])?.bytes;
        missing = missingOf(txs);
      }
    }
    const assembled =
      missing.length === 0
        ? this.done({ block: blockOf(c, txs as Uint8Array[]) }, 0)
        : await this.fetchMissing(c, value, peer, early, txs, missing);
    if (assembled !== undefined && this.d.log.isLevelEnabled("debug")) {
      // Per height, for the bench's logs (BENCH_LOG_LEVEL=debug): how long the proposal took to reach our
      // hands from its block time, and what of it was not already here.
      const fetched = assembled.bytes !== undefined ? c.txHashes.length : missing.length;
      const { height, timeMs } = c.header;
      const timing = { ms: Date.now() - started, sinceBlockTimeMs: started - timeMs };
      this.d.log.debug({ height, txs: c.txHashes.length, awaited, fetched, ...timing }, "proposal assembled");
    }
    return assembled;
  }

  /**
   * Asks `first` for the missing txs, and further peers whose copies of the proposal came (`early`) or come
   * meanwhile (see the class comment): resolves with the first block assembled, or undefined once every peer
   * asked failed.
   */
  private fetchMissing(
    c: CompactBlock,
    value: string,
    first: string | undefined,
    early: readonly string[],
    txs: (Uint8Array | undefined)[],
    missing: number[],
  ): Promise<AssembledBlock | undefined> {
    const height = c.header.height;
    return new Promise((resolve, reject) => {
      const asked = new Set<string>();
      const waiting: string[] = [];
      const reasons: string[] = [];
      let open = 0;
      let settled = false;
      let hedge: NodeJS.Timeout | undefined;
      const finish = (result: AssembledBlock | undefined | Error) => {
        settled = true;
        clearTimeout(hedge);
        this.sources.delete(value);
        if (result instanceof Error) reject(result);
        else if (result !== undefined) resolve(result);
        else {
          this.stats.failed++;
          const why = reasons.join("; ") || "no peer to ask";
          this.d.log.info({ height, block: value, missing: missing.length, peers: [...asked], reason: why }, "proposal not assembled: txs missing");
          resolve(undefined);
        }
      };
      const askNext = () => {
        if (settled || open >= MAX_SOURCES_PER_PROPOSAL) return;
        const peer = waiting.shift();
        if (peer === undefined) {
          if (open === 0) finish(undefined);
          return;
        }
        asked.add(peer);
        open++;
        clearTimeout(hedge);
        hedge = setTimeout(() => {
          hedge = undefined; // fired: a copy offered from now on is asked at once
          askNext();
        }, this.o.hedgeMs);
        // Each fetch fills its own copy: a wrong answer must not leave its txs in a good one's block.
        this.fetchFrom(c, value, peer, [...txs], missing).then(
          (r) => {
            open--;
            if (settled) return;
            if (typeof r !== "string") finish(this.done(r, missing.length));
            else {
              reasons.push(`${peer}: ${r}`);
              askNext();
            }
          },
          (err: unknown) => {
            open--;
            if (!settled) finish(err as Error);
          },
        );
      };
      const offer = (peer: string) => {
        if (settled || asked.has(peer) || waiting.includes(peer)) return;
        if (asked.size + waiting.length >= MAX_OFFERED_SOURCES) return;
        waiting.push(peer);
        if (open === 0 || hedge === undefined) askNext(); // nothing under way, or it is overdue: ask now
      };
      this.sources.set(value, offer);
      for (const peer of first === undefined ? early : [first, ...early]) offer(peer);
      if (asked.size === 0) finish(undefined);
    });
  }

  /** One fetch of the missing txs from `peer`: the block, or why not (the peer charged if it was its fault). */
  private async fetchFrom(
    c: CompactBlock,
    value: string,
    peer: string,
    txs: (Uint8Array | undefined)[],
    missing: number[],
  ): Promise<AssembledBlock | string> {
    const height = c.header.height;
    const inFlight = this.fetching.get(peer) ?? 0;
    if (inFlight >= MAX_FETCHES_PER_PEER) return "fetches from this peer already under way";
    this.fetching.set(peer, inFlight + 1);
    // Most of the block missing (an empty mempool after a restart): the whole block costs the peer less.
    const whole = 2 * missing.length > c.txHashes.length;
    const asked = new Uint8Array(whole ? 0 : missing.length * HASH_LENGTH);
    if (!whole) missing.forEach((i, k) => asked.set(c.txHashes[i], k * HASH_LENGTH));
    this.stats.fetches++;
    let answer: TxFetchResponse;
    try {
      const req = { height, blockHash: fromHexHash(value), txHashes: asked };
      answer = await this.d.fetch(peer, req, { idleMs: this.o.timeoutMs, minBytesPerSecond: this.o.minBytesPerSecond });
    } catch (err) {
      if (err instanceof TxFetchFailed) {
        // Charged only when the peer does not speak the protocol at all (no honest node): one that refused
        // may have committed the block meanwhile (we are late; block sync catches up), and a slow one is
        // loaded, not hostile. Either costs us one bounded fetch slot.
        if (err.kind === "unsupported") {
          this.d.onMisbehaviour(peer, `cannot serve the txs of its proposal at height ${height}: ${err.message}`, "unresponsive");
        }
        return err.message;
      }
      if (err instanceof CodecError) {
        this.d.onMisbehaviour(peer, `sent an undecodable tx fetch answer: ${err.message}`, "invalid");
        return err.message;
      }
      throw err;
    } finally {
      const left = (this.fetching.get(peer) ?? 1) - 1;
      if (left > 0) this.fetching.set(peer, left);
      else this.fetching.delete(peer);
    }
    const wrong = (why: string): string => {
      this.d.onMisbehaviour(peer, `answered a tx fetch for height ${height} wrongly: ${why}`, "invalid");
      return why;
    };
    if (whole) {
      if (answer.block === undefined) return wrong("txs where the whole block was asked for");
      const block = this.wholeBlock(answer.block, c, value);
      if (typeof block === "string") return wrong(block);
      return { block, bytes: answer.block };
    }
    if (answer.txs === undefined) return wrong("a whole block where txs were asked for");
    if (answer.txs.length !== missing.length) return wrong(`${answer.txs.length} txs where ${missing.length} were asked for`);
    for (let k = 0; k < missing.length; k++) {
      const i = missing[k];
      // By hash, before anything decodes it: bytes that are not the tx asked for never go further.
      if (!equalBytes(sha256(answer.txs[k]), c.txHashes[i])) return wrong(`tx ${i} does not have the hash asked for`);
      txs[i] = answer.txs[k];
    }
    return { block: blockOf(c, txs as Uint8Array[]) };
  }

  /** Counts an assembled block: `fetched` of its txs were missing here (it came whole, or they came by hash). */
  private done(assembled: AssembledBlock, fetched: number): AssembledBlock {
    this.stats.assembled++;
    if (assembled.bytes !== undefined) this.stats.wholeBlocks++;
    else this.stats.txsFromMempool += assembled.block.txs.length - fetched;
    this.stats.fetchedTxs += fetched;
    return assembled;
  }

  /** A whole block from a peer, checked as a full proposal's is; or why it is not the block asked for. */
  private wholeBlock(bytes: Uint8Array, c: CompactBlock, value: string): Block | string {
    try {
      const { header, txCount } = scanBlock(bytes);
      if (toHex(blockHash(header)) !== value) return "a block other than the one asked for";
      const maxBlockTxs = proposalTxLimit(c.header.height, this.d.lastHeight(), this.d.maxBlockTxs());
      if (txCount !== c.txHashes.length || txCount > maxBlockTxs) return `a block of ${txCount} txs`;
      const block = decodeBlock(bytes, maxBlockTxs);
      const mismatch = bodyMismatch(block);
      return mismatch ?? block;
    } catch (err) {
      if (err instanceof CodecError) return err.message;
      throw err;
    }
  }
}

/**
 * A compact block's block, its txs in hand, each known to hash to its listed hash (not hashed again). When
 * proposedCompactBlock checked `c`, the body matches the header's roots and none is computed again.
 */
function blockOf(c: CompactBlock, txs: Uint8Array[]): Block {
  const block: Block = { header: c.header, txs, lastCommit: c.lastCommit, evidence: c.evidence };
  if (checkedCompactBlock(c)) knownMatchingBody(block, c.txHashes);
  else knownTxHashes(block, c.txHashes);
  return block;
}

function missingOf(txs: (Uint8Array | undefined)[]): number[] {
  const out: number[] = [];
  txs.forEach((t, i) => {
    if (t === undefined) out.push(i);
  });
  return out;
}

function fromHexHash(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Per block object: its txs by hash (hex), built the first time a peer asks for some of them. */
const txIndex = new WeakMap<Block, Map<string, Uint8Array>>();

/** Per block object: its largest tx and its txs' total bytes, summed once (not once per request). */
const txSizes = new WeakMap<Block, { largest: number; total: number }>();

function txSizesOf(block: Block): { largest: number; total: number } {
  let sizes = txSizes.get(block);
  if (sizes === undefined) {
    sizes = { largest: 0, total: 0 };
    for (const tx of block.txs) {
      sizes.largest = Math.max(sizes.largest, tx.byteLength);
      sizes.total += tx.byteLength;
    }
    txSizes.set(block, sizes);
  }
  return sizes;
}

/** Whether a request can be answered from `known` at all, by its height and its count of hashes alone. */
function answerable(known: { block: Block } | undefined, req: TxFetchRequest): known is { block: Block } {
  if (known === undefined || known.block.header.height !== req.height) return false;
  // Never more than the block: at most its tx count (a hash asked twice counts twice).
  return req.txHashes.byteLength / HASH_LENGTH <= known.block.txs.length;
}

/**
 * The most bytes the answer to `req` can have (answerBytes of answerTxFetch's answer), from its count of
 * hashes and the block's tx sizes, without looking up a hash: the fetch server checks its budgets against
 * this before the answer is built. Undefined where answerTxFetch answers nothing whatever the hashes are.
 * Each tx is a field (a tag, a length, the tx): at most `hashes` of the largest, and at most the block's tx
 * bytes (answerTxFetch never gives more) with a field's overhead per hash.
 */
export function txFetchAnswerBound(
  known: { block: Block; bytes: () => Uint8Array } | undefined,
  req: TxFetchRequest,
): number | undefined {
  if (!answerable(known, req)) return undefined;
  if (req.txHashes.byteLength === 0) return lengthDelimitedFieldBytes(known.bytes().byteLength);
  const hashes = req.txHashes.byteLength / HASH_LENGTH;
  const { largest, total } = txSizesOf(known.block);
  const overhead = lengthDelimitedFieldBytes(largest) - largest;
  return Math.min(hashes * (largest + overhead), total + hashes * overhead);
}

/**
 * The answer to a peer's tx fetch, from a block this node holds for the current or next height (proposed
 * or received): the txs asked for, or the whole block; undefined if the block is not known here or one of
 * the hashes is not in it (never txs from elsewhere, so an answer is never more than the block).
 */
export function answerTxFetch(
  known: { block: Block; bytes: () => Uint8Array } | undefined,
  req: TxFetchRequest,
): TxFetchResponse | undefined {
  if (!answerable(known, req)) return undefined;
  if (req.txHashes.byteLength === 0) return { block: known.bytes() };
  let index = txIndex.get(known.block);
  if (index === undefined) {
    index = new Map();
    const hashes = blockTxHashes(known.block);
    for (let i = 0; i < hashes.length; i++) index.set(toHex(hashes[i]), known.block.txs[i]);
    txIndex.set(known.block, index);
  }
  // Never more than the block: at most its tx bytes (a hash asked twice counts twice).
  let room = txSizesOf(known.block).total;
  const txs: Uint8Array[] = [];
  for (let at = 0; at < req.txHashes.byteLength; at += HASH_LENGTH) {
    const tx = index.get(toHex(req.txHashes.subarray(at, at + HASH_LENGTH)));
    if (tx === undefined || tx.byteLength > room) return undefined;
    room -= tx.byteLength;
    txs.push(tx);
  }
  return { txs };
}
