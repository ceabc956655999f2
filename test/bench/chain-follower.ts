import { RpcClient } from "../../rpc/client.ts";

/** One committed block as the bench sees it. */
export interface SeenBlock {
  height: number;
  /** Transaction hashes (hex). */
  txs: string[];
  /** Header time, ms since the epoch. */
  timeMs: number;
  /** performance.now() when the bench first saw it: a tx's commit time. */
  seenAt: number;
}

interface CommitView {
  round: number;
}

interface BlockView {
  txs: string[];
  header: { height: number; time: string };
  lastCommit: CommitView | null;
  commit: CommitView | null;
}

/**
 * Follows the chain through one node's RPC (node_getStatus, chain_getBlock) and reads, per height, the round at
 * which it was decided: block h+1's lastCommit.round is the round of the commit the chain itself recorded for
 * h; until h+1 is seen, the node's own commit of h (chain_getBlock's `commit`) stands in.
 */
export class ChainFollower {
  private readonly rpc: RpcClient;
  private seen = 0;
  private readonly rounds = new Map<number, number>();

  constructor(url: string) {
    this.rpc = new RpcClient(url);
  }

  /** Starts from the node's latest height: later calls to poll() return the blocks after it. */
  async init(): Promise<number> {
    this.seen = (await this.rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
    return this.seen;
  }

  get height(): number {
    return this.seen;
  }

  /** The blocks committed since the last poll, in height order. */
  async poll(): Promise<SeenBlock[]> {
    const { latestHeight } = await this.rpc.call<{ latestHeight: number }>("node_getStatus");
    const blocks: SeenBlock[] = [];
    for (let h = this.seen + 1; h <= latestHeight; h++) {
      const b = await this.rpc.call<BlockView>("chain_getBlock", { height: h });
      if (b.commit !== null && !this.rounds.has(h)) this.rounds.set(h, b.commit.round);
      if (b.lastCommit !== null) this.rounds.set(h - 1, b.lastCommit.round);
      blocks.push({ height: h, txs: b.txs, timeMs: Date.parse(b.header.time), seenAt: performance.now() });
      this.seen = h;
    }
    return blocks;
  }

  /** The 0-based decision round of each height in [from, to] that the follower has seen. */
  roundsOf(from: number, to: number): number[] {
    const rounds: number[] = [];
    for (let h = from; h <= to; h++) {
      const r = this.rounds.get(h);
      if (r !== undefined) rounds.push(r);
    }
    return rounds;
  }
}

export interface RoundFigures {
  heights: number;
  maxRound: number;
  /** maxRound + 1: the most rounds any height took. */
  rounds: number;
  heightsOver1Round: number;
  heightsOver2Rounds: number;
}

export function roundFigures(rounds: readonly number[]): RoundFigures {
  const maxRound = Math.max(0, ...rounds);
  return {
    heights: rounds.length,
    maxRound,
    rounds: maxRound + 1,
    heightsOver1Round: rounds.filter((r) => r >= 1).length,
    heightsOver2Rounds: rounds.filter((r) => r >= 2).length,
  };
}
