import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, verify } from "./ed25519.ts";
import { sha256 } from "./hash.ts";

/**
 * ed25519 verification on worker threads, in batches. Requests made in the same tick are packed into one
 * message per worker, so the main thread spends about a microsecond per signature (a copy) instead of the
 * ~10 µs that setting up one async crypto job costs, and every core verifies. A signed message is either given
 * (a 32-byte digest: `verify`) or the sha256 of a prefix and a body, hashed by the worker (`verifyDigestOf`:
 * a transaction's sign bytes, so the main thread makes no digest per tx).
 */
interface Pending {
  /** The signed message (32 bytes), or with `prefix` the rest of the input whose sha256 was signed. */
  message: Uint8Array;
  prefix: Uint8Array | undefined;
  signature: Uint8Array;
  publicKey: Uint8Array;
  resolve: (ok: boolean) => void;
}

/**
 * A record: kind (1 byte: 0 = the message as signed, 1 = sha256 of it was signed), the message's length (u32
 * LE), the signature (64), the public key (32), then the message. crypto/verify-worker.js reads them.
 */
const RECORD_HEAD = 1 + 4 + SIGNATURE_LENGTH + PUBLIC_KEY_LENGTH;
const SIGNED_AS_IS = 0;
const SIGNED_SHA256 = 1;

/**
 * Signatures per message to a worker, at least: a smaller batch goes to fewer workers. Each message wakes a
 * worker thread and then the main thread for its answer, and on a loaded machine that cost ~86 us of CPU per
 * message (measured in a 4-validator bench run at ~9 signatures per message), more than the verify it carried,
 * while 64 verifies take ~5 ms of one core: too little to be worth splitting.
 */
export const MIN_RECORDS_PER_MESSAGE = 64;

/**
 * How long signatures asked one at a time may wait to be sent together: RPC calls past their work slice
 * resume one per turn of the event loop (rpc/pacer.ts), and relayed batches arrive a few per millisecond, so
 * a flush per turn sent most signatures alone (30,000 signatures in ~6,000 messages in a 4-validator run).
 * A full message's worth goes at once, in the turn it was asked.
 */
export const GATHER_MS = 2;

/** Most verify workers a node starts on its own: past four, a node's other work, not verifying, limits it. */
export const MAX_VERIFY_WORKERS = 4;
/** Most an operator may set ([verify] workers): a bound on the threads a typo can start. */
export const MAX_CONFIGURED_VERIFY_WORKERS = 64;

/**
 * How many verify workers a node starts: `configured` when it is above 0 (config.toml [verify] workers),
 * otherwise one per core, at most MAX_VERIFY_WORKERS.
 */
export function verifyWorkerCount(configured = 0, cores = availableParallelism()): number {
  return configured > 0 ? configured : Math.max(1, Math.min(MAX_VERIFY_WORKERS, cores));
}

/**
 * How many of `done` (a worker's count of records checked, which it bumps after each one) the main thread has
 * not yet heard the answers of, `heard` being the records of the answers it handled. Both counts wrap at 2^32
 * (an Int32Array's Atomics.add does; `heard` is kept wrapped the same way), so the difference stays right past
 * 2^31 checks: about two and a half days of one worker at 10,000 a second.
 */
export function unheardOf(done: number, heard: number): number {
  return Math.max(0, (done - heard) | 0);
}

export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  /**
   * Each worker's count of records it has checked, on shared memory it bumps after each one, and the records
   * whose answers this thread has handled (see unheardOf). A check done while this thread is busy elsewhere (a
   * block's commit, a garbage collection) is known done before its answer is heard: `pending` and the mempool's
   * admission queue (node/mempool.ts waitingForCheck) leave it out.
   */
  private readonly done: Int32Array[] = [];
  private readonly heard: number[] = [];
  private readonly jobs = new Map<number, { worker: number; items: Pending[] }>();
  private queue: Pending[] = [];
  private flushImmediate: NodeJS.Immediate | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private nextJob = 1;
  private closed = false;
  /** Messages sent to the workers and the signatures they carried, for tests and the operator. */
  readonly stats = { messages: 0, records: 0 };

  private readonly onWorkerLost: (err: Error) => void;

  /** `onWorkerLost` hears about a worker that died (it is replaced and its jobs are verified elsewhere). */
  constructor(size = verifyWorkerCount(), onWorkerLost: (err: Error) => void = () => {}) {
    this.onWorkerLost = onWorkerLost;
    for (let i = 0; i < size; i++) {
      this.busy.push(0);
      this.workers.push(this.spawn(i));
    }
  }

  /** Worker threads verifying. */
  get size(): number {
    return this.workers.length;
  }

  /** A worker for slot `index`, with a fresh count of the records it checked. */
  private spawn(index: number): Worker {
    const done = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    this.done[index] = done;
    this.heard[index] = 0;
    const worker = new Worker(new URL("./verify-worker.js", import.meta.url), { workerData: { done: done.buffer } });
    worker.unref(); // never keeps the process alive on its own
    worker.on("message", (m: { id: number; results: Uint8Array }) => this.onResults(m));
    worker.on("error", (err) => this.onWorkerGone(index, worker, err));
    worker.on("exit", (code) => this.onWorkerGone(index, worker, new Error(`verification worker exited (code ${code})`)));
    return worker;
  }

  /** Signatures waiting to be sent to a worker or being verified there (the node's metrics). */
  get pending(): number {
    return this.queue.length + this.atWorkers() - this.checkedUnheard;
  }

  /**
   * Signatures the workers have checked whose answers this thread has not handled yet: they wait for it, not
   * for a worker (a busy main thread, whose next turns hand them over). What the admission queue leaves out.
   */
  get checkedUnheard(): number {
    let n = 0;
    for (let w = 0; w < this.done.length; w++) {
      n += Math.min(this.busy[w], unheardOf(Atomics.load(this.done[w], 0), this.heard[w]));
    }
    return n;
  }

  private atWorkers(): number {
    let n = 0;
    for (const b of this.busy) n += b;
    return n;
  }

  /** Verifies one signature over a 32-byte message; resolves false for any malformed input. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    if (message.byteLength !== 32) return this.closed ? this.closedError() : Promise.resolve(false);
    return this.enqueue(message, undefined, signature, publicKey);
  }

  /**
   * Verifies one signature over sha256(prefix || body), the digest made by the worker (a transaction's sign
   * bytes: proto/tx.ts txSignPrefix and the body); resolves false for any malformed input.
   */
  verifyDigestOf(prefix: Uint8Array, body: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    return this.enqueue(body, prefix, signature, publicKey);
  }

  /**
   * verifyDigestOf with the answer handed to `answer` (called once; at once for malformed input) instead of a
   * promise: TxVerifier's, which keeps one promise per tx of its own (no second promise, executor and resolving
   * functions per tx here). Throws if the pool is closed.
   */
  verifyDigestOfInto(
    prefix: Uint8Array,
    body: Uint8Array,
    signature: Uint8Array,
    publicKey: Uint8Array,
    answer: (ok: boolean) => void,
  ): void {
    if (this.closed) throw new Error("verification pool is closed");
    if (signature.byteLength !== SIGNATURE_LENGTH || publicKey.byteLength !== PUBLIC_KEY_LENGTH) {
      answer(false);
      return;
    }
    this.queue.push({ message: body, prefix, signature, publicKey, resolve: answer });
    this.schedule();
  }

  private enqueue(
    message: Uint8Array,
    prefix: Uint8Array | undefined,
    signature: Uint8Array,
    publicKey: Uint8Array,
  ): Promise<boolean> {
    if (this.closed) return this.closedError();
    if (signature.byteLength !== SIGNATURE_LENGTH || publicKey.byteLength !== PUBLIC_KEY_LENGTH) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      this.queue.push({ message, prefix, signature, publicKey, resolve });
      this.schedule();
    });
  }

  private closedError(): Promise<boolean> {
    return Promise.reject(new Error("verification pool is closed"));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelFlush();
    for (const p of this.queue) p.resolve(false);
    this.queue = [];
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const job of this.jobs.values()) for (const p of job.items) p.resolve(false);
    this.jobs.clear();
  }

  /** A message's worth is sent in this turn of the event loop; less waits up to GATHER_MS for more. */
  private schedule(): void {
    if (this.queue.length >= MIN_RECORDS_PER_MESSAGE) {
      if (this.flushImmediate !== undefined) return;
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.flushImmediate = setImmediate(() => this.flush());
    } else if (this.flushImmediate === undefined) {
      this.flushTimer ??= setTimeout(() => this.flush(), GATHER_MS);
    }
  }

  private cancelFlush(): void {
    clearImmediate(this.flushImmediate);
    clearTimeout(this.flushTimer);
    this.flushImmediate = undefined;
    this.flushTimer = undefined;
  }

  private flush(): void {
    this.cancelFlush();
    const items = this.queue;
    this.queue = [];
    // Split across workers, least busy first, in chunks so one huge batch still uses every core; a small one
    // goes whole (see MIN_RECORDS_PER_MESSAGE).
    const chunk = Math.max(MIN_RECORDS_PER_MESSAGE, Math.ceil(items.length / this.workers.length));
    for (let start = 0; start < items.length; start += chunk) {
      const part = items.slice(start, start + chunk);
      let w = 0;
      for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[w]) w = i;
      let size = 0;
      for (const p of part) size += RECORD_HEAD + p.message.byteLength + (p.prefix?.byteLength ?? 0);
      const records = new Uint8Array(size);
      const view = new DataView(records.buffer);
      let at = 0;
      for (const p of part) {
        const length = p.message.byteLength + (p.prefix?.byteLength ?? 0);
        records[at] = p.prefix === undefined ? SIGNED_AS_IS : SIGNED_SHA256;
        view.setUint32(at + 1, length, true);
        records.set(p.signature, at + 5);
        records.set(p.publicKey, at + 5 + SIGNATURE_LENGTH);
        at += RECORD_HEAD;
        if (p.prefix !== undefined) {
          records.set(p.prefix, at);
          at += p.prefix.byteLength;
        }
        records.set(p.message, at);
        at += p.message.byteLength;
      }
      const id = this.nextJob++;
      this.jobs.set(id, { worker: w, items: part });
      this.busy[w] += part.length;
      this.workers[w].postMessage({ id, count: part.length, records }, [records.buffer]);
      this.stats.messages++;
      this.stats.records += part.length;
    }
  }

  private onResults(m: { id: number; results: Uint8Array }): void {
    const job = this.jobs.get(m.id);
    if (job === undefined) return;
    this.jobs.delete(m.id);
    this.busy[job.worker] -= job.items.length;
    this.heard[job.worker] = (this.heard[job.worker] + job.items.length) | 0;
    for (let i = 0; i < job.items.length; i++) job.items[i].resolve(m.results[i] === 1);
  }

  /**
   * A worker died (a bug or a resource limit): its jobs are verified on this thread instead, so callers get
   * true answers rather than a hang or a false "bad signature", and a new worker takes its place. Not sent
   * to the new worker: a record that killed one would kill every worker it went to.
   */
  private onWorkerGone(index: number, worker: Worker, err: Error): void {
    if (this.closed || this.workers[index] !== worker) return; // already handled, or shutting down
    this.onWorkerLost(err);
    const orphans: Pending[] = [];
    for (const [id, job] of this.jobs) {
      if (job.worker !== index) continue;
      this.jobs.delete(id);
      orphans.push(...job.items);
    }
    this.busy[index] = 0;
    this.workers[index] = this.spawn(index);
    this.verifyHere(orphans);
  }

  /**
   * Verifies `items` on this thread, MIN_RECORDS_PER_MESSAGE at a time with the event loop going round in
   * between (~3 ms each): a dead worker's share of a burst (thousands) must not stall consensus at once.
   */
  private verifyHere(items: Pending[]): void {
    for (const p of items.splice(0, MIN_RECORDS_PER_MESSAGE)) {
      const message = p.prefix === undefined ? p.message : sha256(p.prefix, p.message);
      p.resolve(!this.closed && verify(message, p.signature, p.publicKey));
    }
    if (items.length > 0) setImmediate(() => this.verifyHere(items));
  }
}
