import { describe, expect, it } from "vitest";
import { BodyBuffer, MIN_AVERAGE_BODY_PIECE_BYTES } from "../../rpc/body-buffer.ts";

describe("BodyBuffer", () => {
  it("gives back exactly the bytes of its pieces, whatever their sizes, within the limit", () => {
    const text = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_getStatus\"}] ü € 😀".repeat(300);
    const bytes = Buffer.from(text, "utf8");
    const body = new BodyBuffer(bytes.byteLength);
    let at = 0;
    for (const size of [1, 2, 3, 4096, 7, 5000, 65_536]) {
      if (at >= bytes.byteLength) break;
      expect(body.append(bytes.subarray(at, at + size))).toBe(true);
      at = Math.min(bytes.byteLength, at + size);
    }
    if (at < bytes.byteLength) expect(body.append(bytes.subarray(at))).toBe(true);
    expect(body.bytes).toBe(bytes.byteLength);
    expect(body.text()).toBe(text); // a character split across pieces is whole again
  });

  it("says no once the pieces outnumber 64 plus one per MIN_AVERAGE_BODY_PIECE_BYTES received; 100-byte pieces are fine", () => {
    const bytes = new BodyBuffer(1 << 20);
    let pieces = 0;
    while (bytes.append(Buffer.from(" "))) pieces++;
    // n one-byte pieces pass while n <= 64 + n / 16: up to 68; the 69th is one too many.
    expect(MIN_AVERAGE_BODY_PIECE_BYTES).toBe(16);
    expect(pieces).toBe(68);
    const streamed = new BodyBuffer(1 << 20); // a client writing a batch one ~100-byte call at a time
    for (let i = 0; i < 5000; i++) expect(streamed.append(Buffer.alloc(100, 0x20))).toBe(true);
  });

  it("is charged what its buffer grows by: at most twice the bytes, never past the limit", () => {
    const limit = 100_000;
    const body = new BodyBuffer(limit);
    let charged = 0;
    for (let i = 0; i < 99; i++) {
      const piece = Buffer.alloc(1000, 0x20);
      charged += body.growthFor(piece.byteLength);
      body.append(piece);
      expect(charged).toBeGreaterThanOrEqual(body.bytes);
      expect(charged).toBeLessThanOrEqual(Math.max(4096, Math.min(limit, 2 * body.bytes)));
    }
  });
});
