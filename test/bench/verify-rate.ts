import { randomBytes } from "node:crypto";
import { ADDRESS_LENGTH } from "../../crypto/address.ts";
import { verify } from "../../crypto/ed25519.ts";
import { decodeTx, txSignBytes } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { referenceVerify } from "./reference-verify.ts";

/**
 * One core's ed25519 verify rate on this machine, right now: the yardstick every throughput and CPU figure of
 * the bench is divided by, so that figures from a shared, busy machine still compare. It verifies real
 * transaction signatures (decode the signed transfer, txSignBytes over its body), synchronously on this
 * thread, with OpenSSL through node:crypto and the parsed public key cached: the verify the node used until
 * 2026-12-07 and the unit the goals, the work units (state/work.ts) and every earlier figure are in.
 * The node now verifies with libsodium (crypto/ed25519.ts), ~0.6x of that here: `nodeVerifyUs` times it in
 * the same windows, so a figure can be read against either.
 *
 * The rate is that of the fastest WINDOW_MS window of the measurement: the core's own speed. A single
 * average over the whole time counted every moment the thread was descheduled or shared its core with what
 * was still winding down on the machine, and moved by up to 60% between runs of the same bench (one verify
 * 77-123 us, back to back on a quiet machine), which moved every ratio with it. The fastest window moves
 * far less, and makes the ratios the conservative way (a faster yardstick: more verifies per tx).
 */
export interface VerifyRate {
  verifyPerSecOneCore: number;
  /** One verify's time, in microseconds (OpenSSL's, the yardstick). */
  verifyUs: number;
  /** One verify's time as the node does it (libsodium), in microseconds: fastest window, as verifyUs. */
  nodeVerifyUs: number;
  verifies: number;
  /** The median window's verify time, in microseconds (how much the machine slowed the measurement). */
  verifyUsMedian: number;
}

const SENDERS = 16;
const SAMPLES = 1024;
/** Verifies between clock reads: the clock is read rarely enough not to count. */
const CHUNK = 128;
/** One measurement window. */
const WINDOW_MS = 100;

export function measureVerifyRate(chainId: string, durationMs: number): VerifyRate {
  const senders = Array.from({ length: SENDERS }, () => new TestAccount());
  const samples = Array.from({ length: SAMPLES }, (_, i) => {
    const to = new Uint8Array(randomBytes(ADDRESS_LENGTH));
    const tx = decodeTx(senders[i % SENDERS].transfer(chainId, to, 1n, DEFAULT_PARAMS.minFee).bytes);
    // The digest is computed once per tx by the node too (TxVerifier), outside the verify it times here.
    return { digest: txSignBytes(chainId, tx.bodyBytes), signature: tx.signature, publicKey: tx.body.senderPubkey };
  });
  const openssl = (i: number) => {
    const s = samples[i % SAMPLES];
    if (!referenceVerify(s.digest, s.signature, s.publicKey)) {
      throw new Error("verify-rate: a valid signature failed to verify");
    }
  };
  const node = (i: number) => {
    const s = samples[i % SAMPLES];
    if (!verify(s.digest, s.signature, s.publicKey)) throw new Error("verify-rate: a valid signature failed to verify");
  };
  // Warm-up: every public key parsed and cached (as OpenSSL's were in the node), the code optimised.
  for (let i = 0; i < SAMPLES; i++) {
    openssl(i);
    node(i);
  }

  let verifies = 0;
  const windowsUs: number[] = [];
  const nodeWindowsUs: number[] = [];
  /** One window of `verifyOne`: its time per verify, in microseconds, and how many it did. */
  let sample = 0;
  const window = (verifyOne: (i: number) => void): { us: number; n: number } => {
    const windowStart = performance.now();
    let n = 0;
    let elapsed = 0;
    while (elapsed < WINDOW_MS) {
      for (let i = 0; i < CHUNK; i++) verifyOne(sample + n + i);
      n += CHUNK;
      elapsed = performance.now() - windowStart;
    }
    sample += n;
    return { us: (elapsed * 1000) / n, n };
  };
  // The two in alternate windows, so both meet the same moments of the machine.
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const reference = window(openssl);
    windowsUs.push(reference.us);
    verifies += reference.n; // the yardstick's own
    nodeWindowsUs.push(window(node).us);
  }
  windowsUs.sort((a, b) => a - b);
  const verifyUs = windowsUs[0];
  return {
    verifyPerSecOneCore: Math.round(1e6 / verifyUs),
    verifyUs: Number(verifyUs.toFixed(2)),
    nodeVerifyUs: Number(Math.min(...nodeWindowsUs).toFixed(2)),
    verifies,
    verifyUsMedian: Number(windowsUs[Math.floor(windowsUs.length / 2)].toFixed(2)),
  };
}

/** A yardstick taken twice: the faster measurement is the one the ratios use; both are printed. */
export interface TwoVerifyRates extends VerifyRate {
  /** One verify's time, in microseconds, measured before the nodes started, and after the load. */
  verifyUsBefore: number;
  verifyUsAfter: number;
}

/**
 * The faster of the yardstick measured before the nodes start and again after the load: a machine whose
 * cores ran slow for a while (a shared host: one verify took 72 us and 115 us in the same hour) made a
 * yardstick taken once, at the start, flatter or penalise the whole run (CPU per tx 1.76 verifies in a run
 * whose yardstick was 115 us, against 2.4-2.8 in runs at 72-77 us, for the same node CPU seconds). The faster
 * of the two keeps the ratios the conservative way, as the fastest window does within one measurement.
 */
export function fasterOf(before: VerifyRate, after: VerifyRate): TwoVerifyRates {
  const faster = after.verifyUs < before.verifyUs ? after : before;
  const nodeVerifyUs = Math.min(before.nodeVerifyUs, after.nodeVerifyUs);
  return { ...faster, nodeVerifyUs, verifyUsBefore: before.verifyUs, verifyUsAfter: after.verifyUs };
}
