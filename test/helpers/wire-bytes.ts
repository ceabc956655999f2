import { concatBytes } from "../../crypto/bytes.ts";

/** Protobuf's (and the p2p framing's) unsigned varint of `n`, for tests that write wire bytes by hand. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** `bytes` after its length as a varint: a length-prefixed frame, as the p2p protocols write them. */
export function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.from(varint(bytes.byteLength)), bytes);
}
