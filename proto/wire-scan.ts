import type protobuf from "protobufjs";

/**
 * Most occurrences of each repeated field of a message and the messages inside it, by "Type.field" (the
 * protobuf type's own name and the field's, e.g. "Commit.signatures").
 */
export type RepeatedCaps = Readonly<Record<string, number>>;

/** Messages nested deeper than this are refused (the schema nests ~5 deep; no type of it is recursive). */
const MAX_DEPTH = 16;

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

/**
 * Why `bytes` cannot be a canonical `type`, found by walking its wire format without decoding it, or
 * undefined when the walk finds nothing wrong: a field the type does not have, a singular field twice, a
 * repeated field more often than `caps` allows, a truncated value. protobufjs's decode (decodeCanonical)
 * makes an object per field it reads and merges repeats of a singular message field, so its cost follows the
 * number of fields, not the bytes: 2,000,000 empty txs in one 4 MiB relay batch took it ~1.9 s, the count
 * checked after. This walk costs a few ns per field and stops at the first one over a bound; message fields
 * are walked inside, bytes and strings skipped whole.
 *
 * With `caps`, every repeated field met must have an entry (an Error, not a verdict on the bytes, if one has
 * none: a message from a peer must bound each of its lists). Without, lists are unbounded (records the node
 * wrote itself), and singular fields still appear at most once, as in any canonical encoding.
 */
export function wireProblem(type: protobuf.Type, bytes: Uint8Array, caps?: RepeatedCaps): string | undefined {
  return walk(type, bytes, 0, bytes.byteLength, caps, 0);
}

function walk(
  type: protobuf.Type,
  bytes: Uint8Array,
  start: number,
  end: number,
  caps: RepeatedCaps | undefined,
  depth: number,
): string | undefined {
  if (depth > MAX_DEPTH) return `${type.name} is nested more than ${MAX_DEPTH} deep`;
  // Occurrences so far, by field number (a type has a handful of fields: an array is the cheapest map).
  const seen: number[] = [];
  let at = start;
  while (at < end) {
    const tag = readVarint(bytes, at, end);
    if (tag < 0) return `${type.name}: a truncated field tag`;
    at = varintNext;
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const field = type.fieldsById[number] as protobuf.Field | undefined;
    if (field === undefined) return `${type.name} has no field ${number}`;
    const count = (seen[number] ?? 0) + 1;
    seen[number] = count;
    if (field.repeated) {
      const cap = caps === undefined ? Infinity : caps[`${type.name}.${field.name}`];
      if (cap === undefined) throw new Error(`wireProblem: no cap for the repeated field ${type.name}.${field.name}`);
      if (count > cap) return `${type.name}.${field.name} holds more than ${cap}`;
    } else if (count > 1) {
      return `${type.name}.${field.name} appears more than once`;
    }
    switch (wire) {
      case WIRE_VARINT: {
        if (readVarint(bytes, at, end) < 0) return `${type.name}.${field.name}: a truncated varint`;
        at = varintNext;
        break;
      }
      case WIRE_64:
        at += 8;
        break;
      case WIRE_32:
        at += 4;
        break;
      case WIRE_LEN: {
        const length = readVarint(bytes, at, end);
        if (length < 0) return `${type.name}.${field.name}: a truncated length`;
        const valueStart = varintNext;
        const valueEnd = valueStart + length;
        if (valueEnd > end) return `${type.name}.${field.name}: its length runs past the message`;
        const inner = field.resolvedType;
        if (inner !== null && "fieldsById" in inner) {
          const problem = walk(inner, bytes, valueStart, valueEnd, caps, depth + 1);
          if (problem !== undefined) return problem;
        }
        at = valueEnd;
        break;
      }
      default:
        return `${type.name}.${field.name}: wire type ${wire} is not used by this schema`;
    }
    if (at > end) return `${type.name}.${field.name}: its value runs past the message`;
  }
  return undefined;
}

/** Where the last readVarint stopped (no object per field read). */
let varintNext = 0;

/**
 * The varint at bytes[at..end) (at most 10 bytes; its value exact below 2^53, far above any tag or length), its
 * end in varintNext; -1 when it is truncated or longer.
 */
function readVarint(bytes: Uint8Array, at: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && at < end; i++) {
    const b = bytes[at++];
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      varintNext = at;
      return value;
    }
    scale *= 128;
  }
  return -1;
}
