import WebSocket from "ws";
import { RpcClient } from "../../rpc/client.ts";

/** One committed block as the bench sees it. */
export interface SeenBlock {
  height: number;
  /** Transaction hashes (hex). */
  txs: string[];
  /** Header time, ms since the epoch. */
  timeMs: number;
  /** performance.now() when the bench first heard of it: a tx's commit time. */
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

/** A notification or an answer on the follower's WebSocket. */
interface WsMessage {
  id?: number;
  result?: { latestHeight: number };
  error?: { message: string };
  method?: string;
  params?: { result?: { height?: number }; error?: { message: string } };
}

/**
 * Follows the chain through one node's RPC and reads, per height, the round at which it was decided: block
 * h+1's lastCommit.round is the round of the commit the chain itself recorded for h; until h+1 is seen, the
 * node's own commit of h (chain_getBlock's `commit`) stands in.
 *
 * The node says when a block is committed (a `blocks` subscription over its WebSocket), and the follower then
 * reads that block (chain_getBlock); a block's `seenAt` is when the node's notice came. It asked node_getStatus
 * 50 times a second before, which made the followed node the busiest: ~10% more CPU than the other nodes at
 * 2,000 tx/s (1-4% now), and twice theirs at ~7 tx/s, all counted as its cost per tx; and under load
 * the answer waited behind the clients' tx_submit batches, so a block was seen ~300 ms later than its notice
 * comes now (blockToSeen p50 544 against 242 ms in one run each). If the subscription cannot be made or
 * ends, it asks node_getStatus again.
 */
export class ChainFollower {
  private readonly rpc: RpcClient;
  private readonly wsUrl: string;
  private socket: WebSocket | undefined;
  /** Heights the node announced, with when, not yet read. */
  private readonly announced: { height: number; at: number }[] = [];
  private live = false;
  /** Whether poll() ever asked node_getStatus (the subscription failed or ended). */
  private polled = false;
  private seen = 0;
  private readonly rounds = new Map<number, number>();

  constructor(url: string) {
    this.rpc = new RpcClient(url);
    const ws = new URL(url);
    ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
    ws.pathname = "/ws";
    this.wsUrl = ws.toString();
  }

  /** Starts from the node's latest height: later calls to poll() return the blocks after it. */
  async init(): Promise<number> {
    const latest = await this.subscribe().catch(() => undefined);
    this.seen = latest ?? (await this.rpc.call<{ latestHeight: number }>("node_getStatus")).latestHeight;
    return this.seen;
  }

  get height(): number {
    return this.seen;
  }

  /** Whether blocks are heard of as the node commits them (else node_getStatus is asked at each poll). */
  get subscribed(): boolean {
    return this.live;
  }

  /** Whether every block so far was heard of by the subscription (the bench prints it: followerSubscribed). */
  get subscribedThroughout(): boolean {
    return !this.polled;
  }

  /** The blocks committed since the last poll, in height order. */
  async poll(): Promise<SeenBlock[]> {
    const blocks: SeenBlock[] = [];
    // Announced heights come in order, each once; one announced before init's answer was read is skipped. A
    // height leaves the queue once read: a failed read is tried again by the next poll.
    for (let next = this.announced[0]; next !== undefined; next = this.announced[0]) {
      if (next.height > this.seen) blocks.push(await this.read(next.height, next.at));
      this.announced.shift();
    }
    if (this.live) return blocks;
    this.polled = true;
    const { latestHeight } = await this.rpc.call<{ latestHeight: number }>("node_getStatus");
    for (let h = this.seen + 1; h <= latestHeight; h++) blocks.push(await this.read(h, performance.now()));
    return blocks;
  }

  /** Closes the subscription (the bench's process exit does it too). */
  close(): void {
    this.socket?.close(1000);
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

  private async read(height: number, seenAt: number): Promise<SeenBlock> {
    const b = await this.rpc.call<BlockView>("chain_getBlock", { height });
    if (b.commit !== null && !this.rounds.has(height)) this.rounds.set(height, b.commit.round);
    if (b.lastCommit !== null) this.rounds.set(height - 1, b.lastCommit.round);
    this.seen = height;
    return { height, txs: b.txs, timeMs: Date.parse(b.header.time), seenAt };
  }

  /** Subscribes to committed blocks; resolves with the node's latest height when it answers. */
  private subscribe(): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.wsUrl);
      this.socket = ws;
      ws.on("open", () => {
        ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params: { topic: "blocks" } }));
      });
      ws.on("message", (data) => {
        const at = performance.now();
        let msg: WsMessage;
        try {
          msg = JSON.parse(String(data)) as WsMessage;
        } catch {
          this.live = false; // not the node's JSON-RPC: poll asks node_getStatus from now on
          ws.close(1000);
          return;
        }
        if (msg.id === 1) {
          if (msg.result === undefined) {
            reject(new Error(msg.error?.message ?? "subscribe refused"));
            ws.close(1000);
            return;
          }
          this.live = true;
          resolve(msg.result.latestHeight);
          return;
        }
        const height = msg.params?.result?.height;
        if (msg.method === "subscription" && typeof height === "number") this.announced.push({ height, at });
        else if (msg.params?.error !== undefined) {
          this.live = false; // the node ended it: poll asks node_getStatus from now on, not after the close
          ws.close(1000);
        }
      });
      ws.on("error", () => {}); // 'close' follows
      ws.on("close", () => {
        this.live = false;
        reject(new Error("the follower's WebSocket closed")); // no-op once init's answer came
      });
    });
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
