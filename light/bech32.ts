/**
 * bech32 (BIP 173) for the node's address text form `opl1...` (crypto/address.ts), decode and encode,
 * written here so the light client needs no other package. Addresses are short: no length limit games.
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** BIP 173's limit on a whole bech32 string. */
const MAX_LENGTH = 90;

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATORS[i];
  }
  return chk >>> 0;
}

function prefixExpand(prefix: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < prefix.length; i++) out.push(prefix.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < prefix.length; i++) out.push(prefix.charCodeAt(i) & 31);
  return out;
}

/** Regroups bits (8 -> 5 with padding, 5 -> 8 without); undefined if the padding is not zero bits. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxValue = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i];
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxValue);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxValue);
  } else if (bits >= from || ((acc << (to - bits)) & maxValue) !== 0) {
    return undefined;
  }
  return out;
}

export function bech32Encode(prefix: string, bytes: Uint8Array): string {
  const words = convertBits(bytes, 8, 5, true) as number[];
  const values = [...prefixExpand(prefix), ...words, 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31);
  return `${prefix}1${[...words, ...checksum].map((w) => CHARSET[w]).join("")}`;
}

/** The bytes of a lowercase bech32 string with this prefix, or a reason it is not one. */
export function bech32Decode(text: string, prefix: string): Uint8Array | string {
  if (text.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  const sep = text.lastIndexOf("1");
  if (sep < 1 || text.length - sep - 1 < 6) return "it is not bech32 (no separator and checksum)";
  if (text.slice(0, sep) !== prefix) return `its prefix is "${text.slice(0, sep)}", expected "${prefix}"`;
  const words: number[] = [];
  for (const c of text.slice(sep + 1)) {
    const w = CHARSET.indexOf(c);
    if (w < 0) return `it has the character "${c}", which bech32 does not use`;
    words.push(w);
  }
  if (polymod([...prefixExpand(prefix), ...words]) !== 1) return "its bech32 checksum is wrong";
  const bytes = convertBits(words.slice(0, -6), 5, 8, false);
  if (bytes === undefined) return "its bech32 data has non-zero padding";
  return Uint8Array.from(bytes);
}
