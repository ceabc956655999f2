import type { Logger } from "pino";
import { equalBytes, fromBase64, toBase64 } from "../crypto/bytes.ts";
import type { WalRecord } from "./consensus-wal-record.ts";
import { DoubleSignRefusedError, type GuardedSigner, type SignRequest } from "./signer.ts";

/**
 * This validator's own signatures at the current height, made once each and never differently: through the
 * double-sign guard, with a sign intent in the WAL before and the signature after, and found again in the
 * WAL after a crash. A crash after the intent asks the guard for the very same bytes (same time), which it
 * re-signs, instead of new bytes for the same step, which it must refuse. Neither record is fsynced here:
 * each signature comes with `durable`, and the driver holds it back until one grouped fsync has made its
 * records (and every input before them) durable, and the signer its state; a crash before that loses a
 * signature that never left, so nothing can conflict with it.
 */
export interface OwnSignature {
  value: string | null;
  timeMs: number;
  signature: Uint8Array;
  /** Resolves once the WAL and the signer state forbid signing anything conflicting with it. */
  durable: Promise<unknown>;
  /** Found in the WAL at replay: the signer state may not cover it yet (see coverReplayed). */
  fromWal?: boolean;
}

/** Where the records go: the driver's WAL of the current height. */
export interface SignatureWal {
  append(record: WalRecord): void;
  /** Resolves once every record appended so far is durable. */
  flush(): Promise<unknown>;
}

export class OwnSignatures {
  private readonly signer: GuardedSigner;
  private readonly wal: SignatureWal;
  private readonly now: () => number;
  private readonly log: Logger;
  /** Signed at the current height, by "step/round". */
  private readonly signed = new Map<string, OwnSignature>();
  /** Sign intents found in the WAL at replay, by "step/round". */
  private readonly intents = new Map<string, { value: string | null; timeMs: number }>();

  constructor(deps: { signer: GuardedSigner; wal: SignatureWal; now: () => number; log: Logger }) {
    this.signer = deps.signer;
    this.wal = deps.wal;
    this.now = deps.now;
    this.log = deps.log;
  }

  /** A new height: nothing of the last one is asked again. */
  clear(): void {
    this.signed.clear();
    this.intents.clear();
  }

  /** Takes in the intents and signatures of a WAL being replayed (its height's records). */
  restore(records: readonly WalRecord[]): void {
    const onDisk = Promise.resolve(); // the WAL made what the file holds durable when it was opened
    for (const r of records) {
      if (r.t === "intent") this.intents.set(`${r.step}/${r.round}`, { value: r.value, timeMs: r.timeMs });
      if (r.t === "signed") {
        const signature = fromBase64(r.signature) as Uint8Array;
        this.signed.set(`${r.step}/${r.round}`, { value: r.value, timeMs: r.timeMs, signature, durable: onDisk, fromWal: true });
      }
    }
  }

  /** Whether the WAL held an intent for this step and round (what was signed there is known). */
  hasIntent(step: number, round: number): boolean {
    return this.intents.has(`${step}/${round}`);
  }

  /**
   * Signs through the guard, unless this very message was signed already (before a crash, too); undefined
   * if the guard refused (it signed something else at this step): nothing is to be sent, and the engine moves
   * on by its timeouts to later rounds. Throws if a replay asks for something else than its intent.
   */
  sign(
    step: number,
    height: number,
    round: number,
    value: string | null,
    signBytes: (timeMs: number) => Uint8Array,
  ): OwnSignature | undefined {
    const key = `${step}/${round}`;
    const before = this.signed.get(key);
    if (before !== undefined && before.value === value) {
      if (before.fromWal === true) {
        this.coverReplayed(before, { height, round, step, signBytes: signBytes(before.timeMs) });
      }
      return before;
    }
    const intent = this.intents.get(key);
    if (intent !== undefined && intent.value !== value) {
      // The replayed engine asks for something else than what was about to be signed before the crash:
      // never sign it (the guard would refuse too); stop and let an operator look.
      throw new Error(`WAL replay diverged at height ${height} round ${round} step ${step}: refusing to sign`);
    }
    const timeMs = intent !== undefined ? intent.timeMs : this.now();
    if (intent === undefined) this.wal.append({ t: "intent", step, height, round, value, timeMs });
    let guarded: { signature: Uint8Array; durable: Promise<void> };
    try {
      guarded = this.signer.sign({ height, round, step, signBytes: signBytes(timeMs) });
    } catch (err) {
      if (!(err instanceof DoubleSignRefusedError)) throw err;
      // CometBFT does the same: the guard knows this step was signed already, differently.
      this.log.warn({ height, round, step, err: err.message }, "the double-sign guard refused a message: not sent");
      return undefined;
    }
    const { signature } = guarded;
    this.wal.append({ t: "signed", step, height, round, value, timeMs, signature: toBase64(signature) });
    const walFlushed = this.wal.flush();
    const durable = Promise.all([walFlushed, guarded.durable]);
    if (this.log.isLevelEnabled("debug")) {
      // Per signature, for the bench's logs (BENCH_LOG_LEVEL=debug): how long it waited for each disk write.
      const started = this.now();
      let walMs = -1;
      let signerMs = -1;
      const ignore = () => {}; // a failed write is handled where `durable` is awaited
      walFlushed.then(() => (walMs = this.now() - started), ignore);
      guarded.durable.then(() => (signerMs = this.now() - started), ignore);
      const logged = () => {
        this.log.debug({ height, round, step, ms: this.now() - started, walMs, signerMs }, "own signature durable");
      };
      durable.then(logged, ignore);
    }
    const record: OwnSignature = { value, timeMs, signature, durable };
    this.signed.set(key, record);
    return record;
  }

  /**
   * A signature replayed from the WAL is sent again only once the signer state on disk covers it, as a live
   * one is. The WAL's "signed" record and the signer state are written side by side, so a crash can leave the
   * record on disk and the state behind it; sent on the WAL's word alone, the signature would be out while
   * the guard would still let this key sign something else at that step (were the WAL lost later). So the
   * guard is asked again for the very same bytes: it signs them (ed25519 is deterministic: the same
   * signature) and makes its state durable, or, already past that step, forbids anything there anyway. A
   * guard holding something else for this step means the WAL and the guard disagree: never sent, fatal.
   */
  private coverReplayed(own: OwnSignature, req: SignRequest): void {
    own.fromWal = false;
    const last = this.signer.lastSigned;
    if (last !== undefined && (last.height - req.height || last.round - req.round || last.step - req.step) > 0) return;
    const guarded = this.signer.sign(req);
    if (!equalBytes(guarded.signature, own.signature)) {
      throw new Error(`WAL replay at height ${req.height} round ${req.round} step ${req.step}: the signer signs its bytes differently`);
    }
    own.durable = guarded.durable;
  }
}
