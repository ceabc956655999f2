import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { equalBytes } from "../../crypto/bytes.ts";
import { CHUNKS_PER_FRAME_SLACK, FrameDecoder, MIN_AVERAGE_CHUNK_BYTES } from "../../p2p/frame-decoder.ts";
import { frame } from "../../p2p/gossip.ts";

/**
 * A gossip frame's bytes may come in many small pieces (yamux delivers one event per data frame, and a peer
 * chooses how small those are). What the decoder holds must be the bytes received, not one object per
 * piece; and a peer that cuts its frames into tiny pieces (13 bytes of yamux header each, for us an event
 * and a call apiece) is refused.
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function prefixOf(n: number): Uint8Array {
  return frame(new Uint8Array(n)).subarray(0, frame(new Uint8Array(n)).byteLength - n);
}

describe("frame decoder", () => {
  it("2,000,000 one-byte pieces of one frame cost a few MiB of heap, not one object each", () => {
    const n = 2_000_000;
    // Piece limit off (0): this test is about memory; the limit has its own test below.
    const decoder = new FrameDecoder(9_000_000, { minAverageChunkBytes: 0 });
    const source = new Uint8Array(n).map((_, i) => i & 0xff); // one backing store, as one noise message's pieces
    gc();
    const before = process.memoryUsage().heapUsed;
    const cpu = process.cpuUsage();
    expect([...decoder.decode(prefixOf(n))]).toEqual([]);
    for (let i = 0; i < n - 1; i++) {
      if (!decoder.decode(source.subarray(i, i + 1)).next().done) throw new Error("frame completed early");
    }
    gc();
    const grownMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const out = [...decoder.decode(source.subarray(n - 1))];
    expect(out.length).toBe(1);
    expect(equalBytes(out[0], source)).toBe(true);
    // Before the fix: +238 MiB and 2.4 s of CPU (one kept view per piece).
    expect(grownMiB).toBeLessThan(8);
    expect(cpuMs).toBeLessThan(2000);
  });

  it("refuses a frame cut into pieces far smaller than a yamux data frame; an honest split crosses", () => {
    const size = 1_000_000;
    const bytes = frame(new Uint8Array(size).fill(3));
    // An honest sender's yamux frames are up to 64 KiB; even 4 KiB pieces are well within the limit.
    const honest = new FrameDecoder(size);
    const out: Uint8Array[] = [];
    for (let at = 0; at < bytes.byteLength; at += 4096) out.push(...honest.decode(bytes.subarray(at, at + 4096)));
    expect(out.length).toBe(1);
    // Many small frames, one event each (votes, status messages): each completes, nothing is owed.
    const small = new FrameDecoder(size);
    for (let i = 0; i < 10 * CHUNKS_PER_FRAME_SLACK; i++) {
      expect([...small.decode(frame(Uint8Array.of(1, 2)))].length).toBe(1);
    }

    const tiny = new FrameDecoder(size);
    let pieces = 0;
    expect(() => {
      for (let at = 0; at < bytes.byteLength; at++, pieces++) tiny.decode(bytes.subarray(at, at + 1)).next();
    }).toThrow(/pieces/);
    // Cut off after the slack, long before the frame's million pieces.
    expect(pieces).toBeLessThanOrEqual(CHUNKS_PER_FRAME_SLACK + Math.ceil(pieces / MIN_AVERAGE_CHUNK_BYTES) + 1);
    expect(pieces).toBeLessThan(1000);
  });
});
