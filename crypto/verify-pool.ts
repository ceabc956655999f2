import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, verify } from "./ed25519.ts";
import { sha256 } from "./hash.ts";
import { RECORD_HEAD, recordAt, writeRecord } from "./verify-records.js";

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

/**
 * ed25519 verification on worker threads, in batches. Requests made in the same tick are packed into one
 * message per worker, so the main thread spends about a microsecond per signature (a copy) instead of the
 * ~10 µs that setting up one async crypto job costs, and every core verifies. A signed message is either given
 * (a 32-byte digest: `verify`) or the sha256 of a prefix and a body, hashed by the worker (`verifyDigestOf`:
 * a transaction's sign bytes, so the main thread makes no digest per tx).
 *
 * Each request is copied into the records to send as it is made, and from then on only its answer function
 * is kept: the caller's arrays (views of a tx's bytes) are neither read again nor held until the worker
 * answers. Under load that wait outlived young-generation collections, and the views and a request object
 * per signature held through it were promoted to the old generation (a 4-validator node's promoted-allocation
 * profile listed them among its largest sites: 264 + 172 bytes a tx on one node).
 */
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
  /** Messages at a worker: its answers, in record order, and a copy of its records (to check here if it dies). */
  private readonly jobs = new Map<number, { worker: number; answers: Answer[]; records: Uint8Array }>();
  /** Requests not yet sent: their records, packed one after another as they were asked (StagedRecords). */
  private readonly staged = new StagedRecords();
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
    return this.staged.count + this.atWorkers() - this.checkedUnheard;
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
    this.staged.add(body, prefix, signature, publicKey, answer);
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
      this.staged.add(message, prefix, signature, publicKey, resolve);
      this.schedule();
    });
  }

  private closedError(): Promise<boolean> {
    return Promise.reject(new Error("verification pool is closed"));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelFlush();
    for (const answer of this.staged.take().answers) answer(false);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const job of this.jobs.values()) for (const answer of job.answers) answer(false);
    this.jobs.clear();
  }

  /** A message's worth is sent in this turn of the event loop; less waits up to GATHER_MS for more. */
  private schedule(): void {
    if (this.staged.count >= MIN_RECORDS_PER_MESSAGE) {
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
    const { records, starts, answers } = this.staged.take();
    // Split across workers, least busy first, in chunks so one huge batch still uses every core; a small one
    // goes whole (see MIN_RECORDS_PER_MESSAGE).
    const chunk = Math.max(MIN_RECORDS_PER_MESSAGE, Math.ceil(answers.length / this.workers.length));
    for (let first = 0; first < answers.length; first += chunk) {
      const end = Math.min(answers.length, first + chunk);
      let w = 0;
      for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[w]) w = i;
      // The worker gets a copy (postMessage clones it); this one stays, in case the worker dies with it.
      const part = records.slice(starts[first], end === answers.length ? records.byteLength : starts[end]);
      const id = this.nextJob++;
      const partAnswers = first === 0 && end === answers.length ? answers : answers.slice(first, end);
      this.jobs.set(id, { worker: w, answers: partAnswers, records: part });
      this.busy[w] += end - first;
      this.workers[w].postMessage({ id, count: end - first, records: part });
      this.stats.messages++;
      this.stats.records += end - first;
    }
  }

  private onResults(m: { id: number; results: Uint8Array }): void {
    const job = this.jobs.get(m.id);
    if (job === undefined) return;
    this.jobs.delete(m.id);
    const answers = job.answers;
    this.busy[job.worker] -= answers.length;
    this.heard[job.worker] = (this.heard[job.worker] + answers.length) | 0;
    for (let i = 0; i < answers.length; i++) answers[i](m.results[i] === 1);
  }

  /**
   * A worker died (a bug or a resource limit): its jobs are verified on this thread instead, so callers get
   * true answers rather than a hang or a false "bad signature", and a new worker takes its place. Not sent
   * to the new worker: a record that killed one would kill every worker it went to.
   */
  private onWorkerGone(index: number, worker: Worker, err: Error): void {
    if (this.closed || this.workers[index] !== worker) return; // already handled, or shutting down
    this.onWorkerLost(err);
    const orphans: { answers: Answer[]; records: Uint8Array }[] = [];
    for (const [id, job] of this.jobs) {
      if (job.worker !== index) continue;
      this.jobs.delete(id);
      orphans.push(job);
    }
    this.busy[index] = 0;
    this.workers[index] = this.spawn(index);
    this.verifyHere(orphans, 0, 0, 0);
  }

  /**
   * Verifies a dead worker's messages on this thread, from record `i` (at byte `at`) of message `j` on,
   * MIN_RECORDS_PER_MESSAGE records a turn of the event loop, all messages together (~5 ms a turn): a dead
   * worker's share of a burst (thousands) must not stall consensus at once.
   */
  private verifyHere(jobs: { answers: Answer[]; records: Uint8Array }[], j: number, i: number, at: number): void {
    let budget = MIN_RECORDS_PER_MESSAGE;
    while (j < jobs.length && budget > 0) {
      const { answers, records } = jobs[j];
      const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
      for (; i < answers.length && budget > 0; i++, budget--) {
        const r = recordAt(records, view, at);
        at = r.end;
        const message = r.signedSha256 ? sha256(r.message) : r.message;
        answers[i](!this.closed && verify(message, r.signature, r.publicKey));
      }
      if (i === answers.length) {
        j++;
        i = 0;
        at = 0;
      }
    }
    if (j < jobs.length) setImmediate(() => this.verifyHere(jobs, j, i, at));
  }
}

/** A request's answer: true for a valid signature. */
type Answer = (ok: boolean) => void;

/** The staging array's first size, and the size it goes back to once a burst that made it larger is over. */
const STAGED_BYTES = 64 * 1024;

/**
 * Requests not yet sent to a worker, as the records they will be sent as (crypto/verify-records.js), packed one after
 * another into one array as they are asked, with each one's start and answer.
 */
class StagedRecords {
  private records = new Uint8Array(STAGED_BYTES);
  private view = new DataView(this.records.buffer);
  private at = 0;
  private starts: number[] = [];
  private answers: Answer[] = [];

  get count(): number {
    return this.answers.length;
  }

  /** Copies a request in: `message` is the signed 32 bytes, or with `prefix` the rest of what was hashed. */
  add(
    message: Uint8Array,
    prefix: Uint8Array | undefined,
    signature: Uint8Array,
    publicKey: Uint8Array,
    answer: Answer,
  ): void {
    const need = this.at + RECORD_HEAD + message.byteLength + (prefix?.byteLength ?? 0);
    if (need > this.records.byteLength) this.grow(need);
    this.starts.push(this.at);
    this.answers.push(answer);
    this.at = writeRecord(this.records, this.view, this.at, message, prefix, signature, publicKey);
  }

  /**
   * Everything staged (the records a view of the staging array, valid until the next `add`), and empties the
   * stage; an array a burst grew is let go at the first take that finds it mostly unused.
   */
  take(): { records: Uint8Array; starts: number[]; answers: Answer[] } {
    const taken = { records: this.records.subarray(0, this.at), starts: this.starts, answers: this.answers };
    // Kept while the load fills it; let go at the first take that used under a quarter of it (a burst's size
    // is not kept for the load after it).
    if (this.records.byteLength > STAGED_BYTES && this.at < this.records.byteLength / 4) {
      this.records = new Uint8Array(STAGED_BYTES);
      this.view = new DataView(this.records.buffer);
    }
    this.at = 0;
    this.starts = [];
    this.answers = [];
    return taken;
  }

  private grow(need: number): void {
    const grown = new Uint8Array(Math.max(need, 2 * this.records.byteLength));
    grown.set(this.records.subarray(0, this.at));
    this.records = grown;
    this.view = new DataView(grown.buffer);
  }
}
