import { utf8 } from "./bytes.ts";

/**
 * The smallest protobuf writer the chain's hashed messages need, in canonical form (proto/opl.proto's
 * header comment): fields in number order (the caller writes them so), a varint or string or bytes field
 * holding its default (0, "", empty) omitted, minimal varints, embedded messages always written. The
 * node's encoders give the same bytes (the light-encoding tests compare them on random values).
 */
export class ProtobufWriter {
  private readonly parts: number[] = [];

  private varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint ${n} is not an unsigned safe integer`);
    while (n >= 0x80) {
      this.parts.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.parts.push(n);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A uint32/uint64 field; omitted when zero. */
  uint(field: number, n: number): this {
    if (n === 0) return this;
    this.tag(field, 0);
    this.varint(n);
    return this;
  }

  /** A bytes field; omitted when empty. */
  bytes(field: number, b: Uint8Array): this {
    if (b.length === 0) return this;
    return this.lengthDelimited(field, b);
  }

  /** A string field (UTF-8); omitted when empty. */
  string(field: number, s: string): this {
    return this.bytes(field, utf8(s));
  }

  /** An embedded message (a set or repeated one): written even when it is empty. */
  message(field: number, encoded: Uint8Array): this {
    return this.lengthDelimited(field, encoded);
  }

  private lengthDelimited(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
