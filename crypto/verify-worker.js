// @ts-check
import { parentPort, workerData } from "node:worker_threads";
import sodium from "sodium-native";
import { recordAt } from "./verify-records.js";

/**
 * Worker side of the verification pool (crypto/verify-pool.ts). Receives packed batches of records
 * (crypto/verify-records.js), answers 1/0 per record; for a SIGNED_SHA256 record the signature is over the
 * message's sha256, made here. Each check is libsodium's
 * crypto_sign_verify_detached, as crypto/ed25519.ts `verify` on the main thread: one rule on every path.
 *
 * Plain JavaScript on purpose: a worker is an isolate of its own, and loading a .ts file there starts Node's
 * type stripper in it too, ~13 MB of resident memory per worker (measured: an idle worker from a .ts file
 * 28.5 MB, from a .js file 15 MB). It imports of the project's only crypto/verify-records.js, plain JavaScript too.
 */
/**
 * The count of records checked, on memory the pool shares (crypto/verify-pool.ts `done`): bumped after each
 * one, so the main thread knows a check is done before it hears the batch's answer.
 */
const done = workerData?.done instanceof SharedArrayBuffer ? new Int32Array(workerData.done) : undefined;

/**
 * The digest of a SIGNED_SHA256 record's message, made by libsodium into this one array: for a transfer's
 * ~150-200 bytes of sign bytes, node:crypto's one-shot `hash` took 2.13-2.19 us a call (mostly the call and the
 * Buffer it returns), libsodium's 0.70-0.87 us (`npx node test/bench/sha256-call-cost.ts`, least of 5 rounds):
 * ~3% of each signature's check. One array, reused: a new small array per digest would live on V8's heap, and
 * libsodium's wrapper, reading its `.buffer`, would move it off the heap each time (~0.9 us more).
 */
const digest = new Uint8Array(32);

parentPort?.on("message", (/** @type {{ id: number; count: number; records: Uint8Array }} */ job) => {
  // Views of the records (a copy the pool posted, off V8's heap), not Buffers: a Buffer view costs more to make.
  const buf = job.records;
  const lengths = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Uint8Array(job.count);
  let at = 0;
  for (let i = 0; i < job.count; i++) {
    const r = recordAt(buf, lengths, at);
    at = r.end;
    try {
      let message = r.message;
      if (r.signedSha256) {
        sodium.crypto_hash_sha256(digest, r.message);
        message = digest;
      }
      out[i] = sodium.crypto_sign_verify_detached(r.signature, message, r.publicKey) ? 1 : 0;
    } catch {
      out[i] = 0; // sodium-native throws on a signature or key of the wrong length: never a valid signature
    }
    if (done !== undefined) Atomics.add(done, 0, 1);
  }
  parentPort?.postMessage({ id: job.id, results: out }, [out.buffer]);
});
