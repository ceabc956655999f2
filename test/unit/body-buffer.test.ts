import { describe, expect, it } from "vitest";
import { BodyBuffer } from "../../rpc/body-buffer.ts";

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

  it("says no once the pieces outnumber 64 plus one per KiB received", () => {
    const body = new BodyBuffer(1 << 20);
    let pieces = 0;
    while (body.append(Buffer.from(" "))) pieces++;
    expect(pieces).toBe(64); // the 65th one-byte piece of a 65-byte body is one too many
  });
});
