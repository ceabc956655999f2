// @ts-check
import { Buffer } from "node:buffer";
import { createPublicKey, hash, verify } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

/**
 * Worker side of the verification pool (crypto/verify-pool.ts). Receives packed batches of records
 * [kind (1) | message length (u32 LE) | signature (64) | public key (32) | message], answers 1/0 per record;
 * kind 1: the signature is over the message's sha256, made here.
 *
 * Plain JavaScript on purpose: a worker is an isolate of its own, and loading a .ts file there starts Node's
 * type stripper in it too, ~13 MB of resident memory per worker (measured: an idle worker from a .ts file
 * 28.5 MB, from a .js file 15 MB). It imports nothing of the project's, so nothing is lost.
 */
/** A record whose signature is over the sha256 of its message (crypto/verify-pool.ts SIGNED_SHA256). */
const SIGNED_SHA256 = 1;
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/**
 * The count of records checked, on memory the pool shares (crypto/verify-pool.ts `done`): bumped after each
 * one, so the main thread knows a check is done before it hears the batch's answer.
 */
const done = workerData?.done instanceof SharedArrayBuffer ? new Int32Array(workerData.done) : undefined;
/** @type {Map<string, import("node:crypto").KeyObject>} */
const keys = new Map();
/**
 * Public keys kept parsed (oldest out first): a miss costs one parse, a few percent of the verify it precedes.
 * A parsed key (a KeyObject over an OpenSSL EVP_PKEY) costs ~0.3 KB of resident memory (measured: 60,000
 * random keys, about half valid, left one worker 8 MB larger with a limit of 100,000 than with 4,096), so
 * this keeps the cache near 5 MB per worker (it was 100,000: ~30 MB per worker once that many senders
 * had been seen) while every sender of a busy chain's last few blocks stays parsed.
 */
export const KEY_CACHE_LIMIT = 16_384;
/**
 * The cached keys' ids in the order they came (a ring: slot `nextOut` holds the oldest once full), so the
 * oldest leaves without `keys.keys().next()`, which walks over every earlier eviction's hole in the Map's
 * table (~4 us an eviction at this size; crypto/fifo-cache.ts, which this file cannot import, says more).
 * @type {string[]}
 */
const order = [];
let nextOut = 0;

/** @param {Buffer} pub */
function keyFor(pub) {
  const id = pub.toString("latin1");
  let key = keys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" });
    if (order.length < KEY_CACHE_LIMIT) {
      order.push(id);
    } else {
      keys.delete(order[nextOut]);
      order[nextOut] = id;
      nextOut = (nextOut + 1) % KEY_CACHE_LIMIT;
    }
    keys.set(id, key);
  }
  return key;
}

parentPort?.on("message", (/** @type {{ id: number; count: number; records: Uint8Array }} */ job) => {
  const buf = Buffer.from(job.records.buffer, job.records.byteOffset, job.records.byteLength);
  const out = new Uint8Array(job.count);
  let at = 0;
  for (let i = 0; i < job.count; i++) {
    const kind = buf[at];
    const length = buf.readUInt32LE(at + 1);
    const signature = buf.subarray(at + 5, at + 69);
    const publicKey = buf.subarray(at + 69, at + 101);
    const input = buf.subarray(at + 101, at + 101 + length);
    at += 101 + length;
    try {
      const message = kind === SIGNED_SHA256 ? hash("sha256", input, "buffer") : input;
      out[i] = verify(null, message, keyFor(publicKey), signature) ? 1 : 0;
    } catch {
      out[i] = 0; // a key that is not a valid curve point: simply not a valid signature
    }
    if (done !== undefined) Atomics.add(done, 0, 1);
  }
  parentPort?.postMessage({ id: job.id, results: out }, [out.buffer]);
});
