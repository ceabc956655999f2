import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { parentPort } from "node:worker_threads";

/**
 * Worker side of the verification pool (crypto/verify-pool.ts). Receives packed batches of
 * [32-byte message | 64-byte signature | 32-byte public key] records, answers 1/0 per record.
 */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 100_000;

function keyFor(pub: Buffer): KeyObject {
  const id = pub.toString("latin1");
  let key = keys.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" });
    if (keys.size >= KEY_CACHE_LIMIT) keys.delete(keys.keys().next().value as string);
    keys.set(id, key);
  }
  return key;
}

parentPort?.on("message", (job: { id: number; records: Uint8Array }) => {
  const buf = Buffer.from(job.records.buffer, job.records.byteOffset, job.records.byteLength);
  const n = buf.byteLength / 128;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 128;
    try {
      out[i] = verify(
        null,
        buf.subarray(o, o + 32),
        keyFor(buf.subarray(o + 96, o + 128)),
        buf.subarray(o + 32, o + 96),
      )
        ? 1
        : 0;
    } catch {
      out[i] = 0; // a key that is not a valid curve point: simply not a valid signature
    }
  }
  parentPort?.postMessage({ id: job.id, results: out }, [out.buffer]);
});
