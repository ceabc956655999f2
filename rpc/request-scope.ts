import { appError, type RpcError } from "./errors.ts";
import type { WorkPacer } from "./pacer.ts";
import type { Semaphore } from "./semaphore.ts";

/**
 * What one HTTP request (a single call or a whole batch) may still do. Handlers and the state queries they
 * run check it as they go, so the work stops as soon as the client hangs up (`signal`) or the request ran out
 * of budget (`stop`), and the keys of state it reads are counted against `maxWork`.
 */
export class RequestScope {
  readonly signal: AbortSignal;
  /** Most keys of state this request may read (scanned or fetched from history): rpc.max_request_work. */
  readonly maxWork: number;
  private readonly scans: Semaphore;
  /** The caller's address key (rpc/client-address.ts): its scans wait their turn with its others. */
  private readonly client: string | undefined;
  private readonly pacer: WorkPacer;
  private work = 0;
  /** Calls this request may make once (onlyOnce): the ones it made. */
  private readonly once = new Set<string>();
  private stopped: RpcError | undefined;

  constructor(opts: { signal: AbortSignal; maxWork: number; scans: Semaphore; pacer: WorkPacer; client?: string }) {
    this.signal = opts.signal;
    this.maxWork = opts.maxWork;
    this.scans = opts.scans;
    this.client = opts.client;
    this.pacer = opts.pacer;
  }

  /** Throws if this request must not go on: the client went away, or a budget of the request ran out. */
  check(): void {
    this.signal.throwIfAborted();
    if (this.stopped !== undefined) throw this.stopped;
  }

  /** Lets the event loop go round if RPC work has had its slice (WorkPacer), then checks it may go on. */
  async breathe(): Promise<void> {
    await this.pacer.pace();
    this.check();
  }

  /** Lets the event loop go round if RPC work has had its slice (WorkPacer). */
  pace(): Promise<void> {
    return this.pacer.pace();
  }

  /** Ends the request's remaining work with this error (e.g. its response budget ran out). */
  stop(err: RpcError): void {
    this.stopped ??= err;
  }

  /** The error that ended this request's remaining work, if one did. */
  get stoppedBy(): RpcError | undefined {
    return this.stopped;
  }

  /**
   * For a call whose answer is large and always the same (rpc_discover): throws WORK_LIMIT_EXCEEDED if this
   * request (a batch) already made it, so a batch of a hundred costs the node one answer, not a hundred.
   */
  onlyOnce(method: string): void {
    if (this.once.has(method)) {
      throw appError("WORK_LIMIT_EXCEEDED", `${method} is answered once per request (its answer is always the same)`);
    }
    this.once.add(method);
  }

  /** Keys read so far. */
  get workDone(): number {
    return this.work;
  }

  /** Keys of the budget not used yet (0 once it is spent). */
  get workLeft(): number {
    return Math.max(0, this.maxWork - this.work);
  }

  /**
   * Takes up to `wanted` keys of the work budget before reading them (so concurrent calls of one batch cannot
   * together overshoot it); give back what was not used with `refund`. Throws once nothing is left.
   */
  reserve(wanted: number): number {
    this.check();
    const left = this.maxWork - this.work;
    if (left <= 0) throw this.workExceeded();
    const granted = Math.min(wanted, left);
    this.work += granted;
    return granted;
  }

  refund(unused: number): void {
    this.work -= unused;
  }

  /** Counts keys already read; throws if that took the request past its budget. */
  charge(keys: number): void {
    this.check();
    this.work += keys;
    if (this.work > this.maxWork) throw this.workExceeded();
  }

  /**
   * Runs a state scan (or other heavy read: building a proof tree) once one of the node's scan slots
   * (rpc.max_concurrent_scans) is free: these are the heavy queries, and however many clients ask at once,
   * only that many run while blocks commit, and the clients waiting take turns. Must not be nested (a second
   * slot could wait forever).
   */
  async scan<T>(run: () => Promise<T>): Promise<T> {
    const release = await this.scans.acquire(this.signal, this.client);
    try {
      this.check();
      return await run();
    } finally {
      release();
    }
  }

  private workExceeded(): RpcError {
    const err = appError(
      "WORK_LIMIT_EXCEEDED",
      `work budget of ${this.maxWork} keys exceeded (rpc.max_request_work): this request read as many keys of ` +
      "state as one request may, and the rest of it was not run; send fewer or narrower queries per batch",
      { limit: this.maxWork },
    );
    this.stop(err);
    return err;
  }
}
