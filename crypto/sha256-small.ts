import { hash } from "node:crypto";

/**
 * SHA-256 (FIPS 180-4) in plain JavaScript for short inputs, written into the caller's buffer. For inputs of at
 * most SMALL_INPUT_MAX bytes (one to three compression blocks: tree nodes, merkle nodes, keys, a transfer's
 * signed bytes) this costs less than node:crypto's one-shot `hash`, whose time is mostly call overhead and
 * which returns a new Buffer (an ArrayBuffer and its off-heap store) per call: a node made about 5 of those per
 * committed tx, a visible share of its garbage. The JavaScript path allocates nothing. Longer inputs go to
 * node:crypto (crypto/hash.ts, and sha256Into below: one short-lived Buffer each), faster there.
 * test/unit/sha256-small.test.ts checks every length against node:crypto.
 */

/**
 * The longest input hashed here: 183 bytes and the 9 bytes of padding fill exactly three 64-byte blocks, so a
 * signed transfer (148-152 bytes: its tx hash, on every node, for every tx) is hashed here. In
 * test/bench/sha256-small-bench.ts (2026-12-06, two runs) this took 0.47-0.50x node:crypto's time at 119
 * bytes, 0.60-0.66x at 150-183 (1.0-1.2 us against 1.6-2.0), 0.84-0.91x at 200-247 and about 1.0x at 300: past
 * three blocks the saving is within the noise.
 */
export const SMALL_INPUT_MAX = 183;

// prettier-ignore
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
// prettier-ignore
const IV = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Scratch, reused by every call (single-threaded, and no call re-enters). */
const W = new Int32Array(64);
const S = new Int32Array(8);
/** The padded tail (the input's last partial block and its padding): at most two blocks. */
const BLOCKS = new Uint8Array(128);

/** One compression of the 64-byte block of `b` at `at` into S. */
function compress(b: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) W[i] = (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (s1 + W[i - 7] + s0 + W[i - 16]) | 0;
  }
  let a = S[0];
  let c1 = S[1];
  let c2 = S[2];
  let d = S[3];
  let e = S[4];
  let f = S[5];
  let g = S[6];
  let h = S[7];
  for (let i = 0; i < 64; i++) {
    const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + sum1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (sum0 + ((a & c1) ^ (a & c2) ^ (c1 & c2))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c2;
    c2 = c1;
    c1 = a;
    a = (t1 + t2) | 0;
  }
  S[0] = (S[0] + a) | 0;
  S[1] = (S[1] + c1) | 0;
  S[2] = (S[2] + c2) | 0;
  S[3] = (S[3] + d) | 0;
  S[4] = (S[4] + e) | 0;
  S[5] = (S[5] + f) | 0;
  S[6] = (S[6] + g) | 0;
  S[7] = (S[7] + h) | 0;
}

/**
 * Writes sha256(data[from .. from + length)) into out[outAt .. outAt + 32). `length` is at most SMALL_INPUT_MAX
 * (a RangeError otherwise: a caller's bug). `data` and `out` may be the same buffer.
 */
export function sha256SmallInto(
  data: Uint8Array,
  from: number,
  length: number,
  out: Uint8Array,
  outAt: number,
): void {
  if (length > SMALL_INPUT_MAX || length < 0) throw new RangeError(`sha256SmallInto: ${length} bytes is not small`);
  hashInto(data, from, length, out, outAt);
}

/**
 * sha256 of any length into the caller's buffer (a block's result leaves, packed: node/block-results.ts): up
 * to SMALL_INPUT_MAX bytes here, longer ones by node:crypto, whose digest is copied in (for a transfer's
 * 281-byte leaf input, 1.50-1.59 us against 1.96-2.27 us in JavaScript, the short-lived Buffer included:
 * 100,000 calls each, five rounds, --max-semi-space-size=16 as a node runs). `data` and `out` may be the same.
 */
export function sha256Into(data: Uint8Array, from: number, length: number, out: Uint8Array, outAt: number): void {
  if (length < 0 || from < 0 || from + length > data.byteLength) {
    throw new RangeError(`sha256Into: bytes ${from}..${from + length} are not in an array of ${data.byteLength}`);
  }
  if (outAt < 0 || outAt + 32 > out.byteLength) {
    throw new RangeError(`sha256Into: a digest at ${outAt} does not fit an array of ${out.byteLength}`);
  }
  if (length <= SMALL_INPUT_MAX) hashInto(data, from, length, out, outAt);
  else out.set(hash("sha256", data.subarray(from, from + length), "buffer"), outAt);
}

function hashInto(data: Uint8Array, from: number, length: number, out: Uint8Array, outAt: number): void {
  S.set(IV);
  // Whole blocks straight from the input, then the rest with its padding in BLOCKS (one or two blocks).
  let at = from;
  const whole = from + length - (length % 64);
  for (; at < whole; at += 64) compress(data, at);
  const rest = from + length - at;
  const b = BLOCKS;
  for (let i = 0; i < rest; i++) b[i] = data[at + i];
  b[rest] = 0x80;
  const end = rest + 9 <= 64 ? 64 : 128;
  b.fill(0, rest + 1, end - 4);
  const bits = length * 8; // below 2^32: the 64-bit length's high word is 0
  b[end - 4] = bits >>> 24;
  b[end - 3] = (bits >>> 16) & 0xff;
  b[end - 2] = (bits >>> 8) & 0xff;
  b[end - 1] = bits & 0xff;
  compress(b, 0);
  if (end === 128) compress(b, 64);
  for (let i = 0; i < 8; i++) {
    const v = S[i];
    out[outAt++] = v >>> 24;
    out[outAt++] = (v >>> 16) & 0xff;
    out[outAt++] = (v >>> 8) & 0xff;
    out[outAt++] = v & 0xff;
  }
}
