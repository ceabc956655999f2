import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { RpcContext } from "../context.ts";
import { type Page, readPage, type Stream, type StreamItem } from "./item-reader.ts";
import { PAGE_ITEMS, type WsLimits } from "./limits.ts";
import { nextItem, type Place } from "./place.ts";
import { encodeSubscriptionCursor } from "./subscription-cursor.ts";

/** What a subscription needs of its connection. */
export interface SubscriptionHost {
  /** Hands a message to the socket; `written` runs once it is written to the network (or never will be). */
  send(body: Buffer, written: () => void): void;
  /** Takes bytes of the node-wide queue budget (ws.max_queued_bytes_total) for a notification; false: no room. */
  take(bytes: number): boolean;
  /** Whether take(bytes) would succeed now. */
  fits(bytes: number): boolean;
  /** Gives them back once the notification is written (or never will be). */
  give(bytes: number): void;
  /** Calls `listener` whenever some of the node-wide budget is given back, until the function returned is called. */
  onRoom(listener: () => void): () => void;
  /**
   * The node's parts with a fresh request scope (one page's budgets), aborted when the connection closes or
   * `signal` (the subscription's own: unsubscribed) aborts.
   */
  context(signal: AbortSignal): RpcContext;
  /** The latest committed height. */
  tip(): number;
  /** The client took none of this subscription's notifications for stallTimeoutMs while more waited. */
  tooSlow(sub: Subscription): void;
  /** Reading the subscription's items failed (a block not stored here, a bug): it ends. */
  failed(sub: Subscription, err: unknown): void;
}

type Waiter = { resolve: (ok: boolean) => void; forRoom: boolean; timer?: NodeJS.Timeout; unlisten?: () => void };

/**
 * One subscription of a connection: a pump that reads the stream's items after its place, page by page, and
 * sends each as a notification, then sleeps until the next commit. Items come from the store (the search
 * index, or the blocks), never from the commit in progress, so replay and live are one path: the place moves
 * only forward, and nothing can be skipped or sent twice however blocks and reads interleave. Only committed
 * blocks are read (up to the latest height), so no item is sent before its block is committed.
 *
 * Bounded: the notifications sent but not yet written to the network are this subscription's queue (at most
 * queueBytes and queueItems; the next page is read only once it is under half of both). A client that reads
 * slowly is paced by it, and costs the node no more than that queue; one that takes nothing for stallTimeoutMs
 * while items wait is too slow and is closed. The commit path only wakes pumps (wake()): it never waits for one.
 */
export class Subscription {
  readonly id: string;
  readonly stream: Stream;
  private readonly digest: Uint8Array;
  private readonly host: SubscriptionHost;
  private readonly limits: WsLimits;
  /** Every item up to here was read and sent (or lay before the subscription's start). */
  private place: Place;
  private unsentBytes = 0;
  private unsentItems = 0;
  /** Notifications sent since the start, and their bytes: the size of the next page is estimated from them. */
  private sentBytes = 0;
  private sentItems = 0;
  private stopped = false;
  /** The next notification found no room (in this queue or the node-wide budget): wait for some before reading on. */
  private starved = false;
  /** Bytes of the notification the node-wide budget had no room for (0: none): woken only once it fits. */
  private needBytes = 0;
  private waiter: Waiter | undefined;
  /**
   * Aborted by stop(): a page being read (waiting for a scan slot, or reading) stops with it. Before, a pump
   * unsubscribed mid-read read its page to the end, so subscribe and unsubscribe over and over queued page
   * reads without bound (3,000 pairs left 17.6 s of scan-slot time to drain, all thrown away).
   */
  private readonly abort = new AbortController();
  private pumpDone: () => void = () => {};
  /** Resolves once run() has returned (it is always started): the subscription costs nothing after. */
  readonly done = new Promise<void>((resolve) => {
    this.pumpDone = resolve;
  });

  constructor(opts: {
    id: string;
    stream: Stream;
    digest: Uint8Array;
    start: Place;
    host: SubscriptionHost;
    limits: WsLimits;
  }) {
    this.id = opts.id;
    this.stream = opts.stream;
    this.digest = opts.digest;
    this.place = opts.start;
    this.host = opts.host;
    this.limits = opts.limits;
  }

  /** Where a client resumes to get every item after those sent so far. */
  get cursor(): string {
    return encodeSubscriptionCursor(this.place, this.digest);
  }

  /** Bytes of notifications sent but not yet written to the network. */
  get queuedBytes(): number {
    return this.unsentBytes;
  }

  /** A block was committed: read on, if waiting for one. */
  wake(): void {
    if (this.waiter !== undefined && !this.waiter.forRoom) this.settle(true);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort(new Error("unsubscribed"));
    this.settle(true);
  }

  /** Runs until stopped; never rejects. */
  async run(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.full() || this.starved) {
          if (!(await this.wait(true))) {
            if (!this.stopped) this.host.tooSlow(this);
            return;
          }
          continue;
        }
        const tip = this.host.tip();
        if (nextItem(this.place).height > tip) {
          await this.wait(false);
          continue;
        }
        const context = this.host.context(this.abort.signal);
        const page = await readPage(context, this.stream, this.place, tip, this.pageItems());
        if (this.stopped) return;
        this.sendPage(page);
        await yieldToLoop(); // a long replay leaves the event loop to blocks, other clients and other pumps
      }
    } catch (err) {
      if (!this.stopped) this.host.failed(this, err);
    } finally {
      this.pumpDone();
    }
  }

  /** Sends the page's items while the queue has room; the place moves to the last one sent (or past the page). */
  private sendPage(page: Page): void {
    for (const item of page.items) {
      const body = this.notification(item);
      // A lone item bigger than the whole queue still goes (else the subscription could never move on).
      const over =
        this.unsentBytes + body.byteLength > this.limits.queueBytes || this.unsentItems + 1 > this.limits.queueItems;
      if (over && this.unsentItems > 0) {
        // The rest is read again once a notification was written (not at once: a big item that does not fit
        // in the room left under the bound would be read again and again while the queue is under half).
        this.starved = true;
        return;
      }
      if (!this.host.take(body.byteLength)) {
        this.needBytes = body.byteLength;
        this.starved = true; // the rest is read again once the node-wide budget has room (never dropped)
        return;
      }
      this.unsentBytes += body.byteLength;
      this.unsentItems++;
      this.sentBytes += body.byteLength;
      this.sentItems++;
      this.place = item.place;
      this.host.send(body, () => {
        this.host.give(body.byteLength);
        this.written(body.byteLength);
      });
    }
    this.place = page.reached;
  }

  private notification(item: StreamItem): Buffer {
    const cursor = encodeSubscriptionCursor(item.place, this.digest);
    return Buffer.from(
      JSON.stringify({
        jsonrpc: "2.0",
        method: "subscription",
        params: { subscription: this.id, result: { ...item.result, cursor } },
      }),
    );
  }

  private written(bytes: number): void {
    this.unsentBytes -= bytes;
    this.unsentItems--;
    const w = this.waiter;
    if (w === undefined || !w.forRoom) return;
    w.timer?.refresh(); // the client is reading: its patience starts again
    this.roomMaybe();
  }

  /** Wakes the pump waiting for room once its queue is under half and the node-wide budget was given bytes. */
  private roomMaybe(): void {
    const w = this.waiter;
    if (w === undefined || !w.forRoom || this.full()) return;
    // Not woken for room given back that its next notification would not fit in (all starved pumps hear of each).
    if (this.needBytes > 0 && !this.host.fits(this.needBytes)) return;
    this.starved = false;
    this.needBytes = 0;
    this.settle(true);
  }

  /**
   * Items to read for the next page: what the queue has room for at the size of the items sent so far (a page
   * of large txs read in full but mostly left unsent would be read again and again).
   */
  private pageItems(): number {
    if (this.sentItems === 0) return PAGE_ITEMS;
    const room = Math.min(
      (this.limits.queueBytes - this.unsentBytes) / (this.sentBytes / this.sentItems),
      this.limits.queueItems - this.unsentItems,
    );
    return Math.max(1, Math.min(PAGE_ITEMS, Math.floor(room)));
  }

  /** Under half the queue's bounds: room for the next page. */
  private full(): boolean {
    return this.unsentBytes * 2 >= this.limits.queueBytes || this.unsentItems * 2 >= this.limits.queueItems;
  }

  /** Waits for the next commit, or (forRoom) for room in the queue: false if the client took nothing for stallTimeoutMs. */
  private wait(forRoom: boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const w: Waiter = { resolve, forRoom };
      if (forRoom) {
        w.timer = setTimeout(() => this.settle(false), this.limits.stallTimeoutMs);
        if (this.starved) w.unlisten = this.host.onRoom(() => this.roomMaybe());
      }
      this.waiter = w;
    });
  }

  private settle(ok: boolean): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    w.unlisten?.();
    w.resolve(ok);
  }
}
