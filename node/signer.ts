import { existsSync } from "node:fs";
import { checkSignRequest, type SignedRecord } from "../consensus/signer-guard.ts";
import { fromBase64, fromHex, toBase64, toHex } from "../crypto/bytes.ts";
import { verify } from "../crypto/ed25519.ts";
import { BoundedLog } from "./bounded-log.ts";
import { sha256 } from "../crypto/hash.ts";
import { CoalescedJob } from "./coalesced-job.ts";
import { type Fsyncer, threadPoolFsync } from "./durable-file.ts";
import { shadowPathOf, signerStateExists, SignerStateStore } from "./signer-state-store.ts";
import { readJsonFile, removeStaleTempFiles, writeSecretFile } from "./key-file.ts";
import type { ValidatorKey } from "./validator-key.ts";

/**
 * The validator's signer with its double-sign guard (consensus/signer-guard.ts), made durable: the last
 * signed (height, round, step, sign bytes, signature) is written in place, to a shadow copy and then over the
 * state file, each with one fdatasync (node/signer-state-store.ts: replacing the file took ten steps on the
 * thread pool per signature), and the signature may leave the node once the shadow is durable: `sign`
 * returns it with a `durable` promise, and the caller holds it back until the promise resolves. (CometBFT's
 * file signer skipped the directory fsync, and its state was seen to roll back after power loss.) The guard's
 * memory moves on at once, so nothing conflicting is signed meanwhile; the file is written off the main
 * thread, and signatures made in one tick (a proposal and its prevote) share one write of the latest state,
 * which forbids everything at or below it. A crash before the write completes loses a signature that never
 * left. Every durable signature is also appended to an audit log, one JSON line each, so operators and tests
 * can prove nothing conflicting left; the log rotates to `.1` at SIGNER_AUDIT_MAX_BYTES, so a long-running
 * validator cannot fill its disk.
 *
 * Two processes sharing one home cannot both sign: the node opens the home's LevelDB before it loads the
 * signer, and LevelDB holds an OS lock on it for the life of the process (released if the process dies).
 */
export class DoubleSignRefusedError extends Error {
  override name = "DoubleSignRefusedError";
}

interface SignerStateFile {
  height: number;
  round: number;
  step: number;
  /** hex of the sign bytes. */
  payload: string;
  signature: string;
  /** sha256 (hex) of the fields above: a flipped byte on disk is refused, never read as another position. */
  check?: string;
}

/** The signer state file does not hold what was written (a flipped byte, a half-edited file). */
export class SignerStateDamagedError extends Error {
  override name = "SignerStateDamagedError";
}

const FIELDS = ["height", "round", "step", "payload", "signature"] as const;

function stateCheck(s: SignerStateFile): string {
  return toHex(sha256(new TextEncoder().encode(JSON.stringify(FIELDS.map((f) => s[f])))));
}

function stateFileText(s: Omit<SignerStateFile, "check">): string {
  return `${JSON.stringify({ ...s, check: stateCheck(s) })}\n`;
}

function damaged(path: string, what: string): SignerStateDamagedError {
  return new SignerStateDamagedError(
    `the signer state ${path} is damaged (${what}): it cannot say what this validator last signed. Restore ` +
    "it (and its .shadow) from a backup; otherwise move both away and start with --unsafe-recover-signer-state " +
    "(see opl start --help for the risk).",
  );
}

/** Sign bytes are a sha256 (hex), a signature ed25519 (base64); "" for none. */
const PAYLOAD_FORM = /^([0-9a-f]{64})?$/;
const SIGNATURE_FORM = /^([A-Za-z0-9+/]{86}==)?$/;

/**
 * Reads the signer state, or refuses it as damaged: valid JSON, exactly its fields, of their types and forms,
 * and a matching check. A file of an earlier version, without the check field, is read as it is here; the
 * signer also verifies its signature over its sign bytes (see GuardedSigner). With its shadow copy
 * (node/signer-state-store.ts: written first): the further of the two whole ones is the state, and one torn by
 * a crash mid-write is passed over.
 */
export function readSignerState(path: string): SignerStateFile {
  const shadowPath = shadowPathOf(path);
  let file: SignerStateFile | undefined;
  let damage: unknown;
  try {
    file = readOneSignerState(path);
  } catch (err) {
    if (!existsSync(shadowPath)) throw err;
    damage = err; // torn, or lost: the shadow may hold the state
  }
  let shadow: SignerStateFile | undefined;
  try {
    if (existsSync(shadowPath)) shadow = readOneSignerState(shadowPath);
  } catch {
    // Torn by a crash mid-write: the file itself holds the state (see SignerStateStore).
  }
  if (file === undefined) {
    if (shadow === undefined) throw damage;
    return shadow; // the file torn by a crash mid-write (or lost): the shadow holds the state
  }
  return shadow !== undefined && positionAhead(shadow, file) ? shadow : file;
}

/** Whether `a` records signing at a later (height, round, step) than `b`. */
function positionAhead(a: SignerStateFile, b: SignerStateFile): boolean {
  return (a.height - b.height || a.round - b.round || a.step - b.step) > 0;
}

function readOneSignerState(path: string): SignerStateFile {
  let s: SignerStateFile;
  try {
    s = readJsonFile<SignerStateFile>(path, "signer state");
  } catch (err) {
    if (!existsSync(path)) throw err;
    throw damaged(path, "not valid JSON");
  }
  const keys = Object.keys(s ?? {}).sort().join(",");
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const ok =
    (keys === [...FIELDS].sort().join(",") || keys === [...FIELDS, "check"].sort().join(",")) &&
    count(s.height) && count(s.round) && count(s.step) &&
    typeof s.payload === "string" && typeof s.signature === "string" &&
    PAYLOAD_FORM.test(s.payload) && SIGNATURE_FORM.test(s.signature) &&
    (s.check === undefined || s.check === stateCheck(s));
  if (!ok) throw damaged(path, "its fields or check do not match");
  return s;
}

/**
 * A file without the check (an earlier version) has nothing guarding its fields: at least its signature must
 * be this key's over its sign bytes, or a flipped byte in either is taken for what was signed. (The sign bytes
 * are a hash: the height, round and step cannot be read back from them.)
 */
function checkUncheckedFile(s: SignerStateFile, key: ValidatorKey, path: string): void {
  if (s.check !== undefined || (s.payload === "" && s.signature === "")) return;
  const good =
    s.payload !== "" && s.signature !== "" &&
    verify(fromHex(s.payload) as Uint8Array, fromBase64(s.signature) as Uint8Array, key.publicKey);
  if (!good) throw damaged(path, "an earlier version's file whose signature is not this key's over its sign bytes");
}

/**
 * Size at which the signer's audit log rotates (to .1, so at most twice this on disk): ~80k signatures of
 * ~200 bytes a file, about 7 hours at one block a second.
 */
export const SIGNER_AUDIT_MAX_BYTES = 16 * 1024 * 1024;

export interface SignRequest {
  height: number;
  round: number;
  /** STEP_PROPOSE | STEP_PREVOTE | STEP_PRECOMMIT */
  step: number;
  signBytes: Uint8Array;
}

/** The height of the last thing the signer state at `path` records signing, or undefined if there is none. */
export { stateFileText as signerStateText };

/**
 * Writes the "nothing signed yet" signer state: `opl init` (and devnet home creation) does, with the key. A
 * validator key found without a signer state is then a moved key or a lost file, never a new one, and the
 * node refuses to start with it (node/signer-recovery.ts).
 */
export function writeNothingSignedYet(path: string): void {
  writeSecretFile(path, stateFileText(NOTHING_SIGNED));
}

const NOTHING_SIGNED: Omit<SignerStateFile, "check"> = { height: 0, round: 0, step: 0, payload: "", signature: "" };

export function signedHeight(path: string): number | undefined {
  if (!signerStateExists(path)) return undefined;
  return readSignerState(path).height;
}

/** A signature, and when it may leave the node: once the state that forbids conflicting with it is on disk. */
export interface GuardedSignature {
  signature: Uint8Array;
  /** Resolves once the signer state at or past this signature is durable; rejects if the disk failed. */
  durable: Promise<void>;
}

export class GuardedSigner {
  private readonly key: ValidatorKey;
  private readonly audit: BoundedLog;
  private last: (SignedRecord & { signature: string }) | undefined;
  /** The state file's next content (the latest signature), and the writes that put it on disk, grouped. */
  private stateText = "";
  private readonly stateWrites: CoalescedJob;
  private readonly store: SignerStateStore;
  /** When the latest signature is durable (an identical re-sign waits for the same). */
  private lastDurable: Promise<void> = Promise.resolve();

  constructor(
    key: ValidatorKey,
    statePath: string,
    auditPath: string,
    auditMaxBytes = SIGNER_AUDIT_MAX_BYTES,
    fsyncer: Fsyncer = threadPoolFsync,
    onFileWriteFailed: (err: unknown) => void = () => {},
  ) {
    this.key = key;
    // Temp files of state writes a killed process left behind (writes now run off the main thread, and only
    // start-up clears them).
    removeStaleTempFiles(statePath);
    this.audit = new BoundedLog(auditPath, auditMaxBytes);
    let state: Omit<SignerStateFile, "check"> = NOTHING_SIGNED;
    if (signerStateExists(statePath)) {
      const s = readSignerState(statePath);
      checkUncheckedFile(s, key, statePath);
      this.last = { height: s.height, round: s.round, step: s.step, payload: s.payload, signature: s.signature };
      state = this.last;
    } else {
      // Only a full node's key gets here (checkSignerState refused every other case): "nothing signed yet",
      // so a file missing later is a lost one, even if this key joins the validator set and restarts first.
      writeNothingSignedYet(statePath);
    }
    // Both files made to hold the state read, whole and durable (a crashed process may have renamed the file
    // into place without the directory fsync, or torn one of them), before anything it forbids is acted on.
    this.store = new SignerStateStore(statePath, stateFileText(state), 0o600, fsyncer, onFileWriteFailed);
    this.stateWrites = new CoalescedJob(() => this.store.write(this.stateText));
  }

  get address(): Uint8Array {
    return this.key.address;
  }

  /** The last thing signed, if any (height, round, step). */
  get lastSigned(): SignedRecord | undefined {
    return this.last;
  }

  /**
   * Signs, or throws DoubleSignRefusedError. Identical repeats get the same signature back. The signature
   * must not leave the node before `durable` resolves.
   */
  sign(req: SignRequest): GuardedSignature {
    const payload = toHex(req.signBytes);
    const record: SignedRecord = { height: req.height, round: req.round, step: req.step, payload };
    const decision = checkSignRequest(this.last, record);
    if (!decision.sign) throw new DoubleSignRefusedError(`refusing to sign: ${decision.reason}`);
    if (decision.resign && this.last !== undefined) {
      return { signature: fromBase64(this.last.signature) as Uint8Array, durable: this.lastDurable };
    }
    const signature = this.key.sign(req.signBytes);
    const state: SignerStateFile = { ...record, signature: toBase64(signature) };
    this.last = { ...record, signature: state.signature };
    this.stateText = stateFileText(state);
    const line = `${JSON.stringify({ ...record, signature: state.signature })}\n`;
    this.lastDurable = this.stateWrites.request().then(() => this.audit.append(line));
    return { signature, durable: this.lastDurable };
  }

  /** Resolves once no state write is running or queued (a stopping node waits for it). */
  async settled(): Promise<void> {
    await this.stateWrites.idle();
    await this.store.idle();
  }
}
