import { afterEach, describe, expect, it } from "vitest";
import { FrameDecoder } from "../../p2p/frame-decoder.ts";
import { FramesUnderWay, STRANGER_FRAMES_HELD } from "../../p2p/frames-under-way.ts";
import { frame } from "../../p2p/gossip.ts";

/** Frames under way on a gossip protocol's inbound streams: each must keep coming; strangers' held bytes bounded. */
describe("FramesUnderWay", () => {
  const deadline = { idleMs: 1000, minBytesPerSecond: 1000, sweepMs: 60_000 };
  let frames: FramesUnderWay | undefined;
  /** The test's clock, shared by its streams. */
  let clock = { ms: 0 };
  afterEach(() => {
    frames?.close();
    frames = undefined;
    clock = { ms: 0 };
  });

  /** One stream on the test's clock; `send(bytes)` delivers them, `stopped` says why it was reset. */
  function stream(maxFrameBytes: number, stranger = false) {
    const now = clock;
    frames ??= new FramesUnderWay(maxFrameBytes, deadline, () => now.ms);
    const decoder = new FrameDecoder(maxFrameBytes, { minAverageChunkBytes: 0 });
    const stopped: string[] = [];
    const entry = frames.add(decoder, stranger, (reason) => stopped.push(reason));
    const send = (bytes: Uint8Array) => frames?.progress(entry, [...decoder.decode(bytes)].length);
    return { clock, send, stopped };
  }

  it("resets a frame whose bytes come slower than the minimum rate, after the first idle spell of grace", () => {
    const s = stream(100_000);
    const bytes = frame(new Uint8Array(10_000).fill(1));
    s.send(bytes.subarray(0, 501)); // the prefix and 499 bytes
    // 499 bytes earn 499 ms at 1,000 bytes a second, on top of the 1,000 ms of grace; a byte every 900 ms keeps
    // it from going idle.
    for (let t = 900; t <= 1350; t += 450) {
      s.clock.ms = t;
      s.send(bytes.subarray(500 + t / 450, 501 + t / 450));
      frames?.sweep();
    }
    expect(s.stopped).toEqual([]);
    s.clock.ms = 1550; // 501 bytes of the frame by now: due at 1,501 ms
    frames?.sweep();
    expect(s.stopped).toHaveLength(1);
    expect(s.stopped[0]).toMatch(/a frame stalled: 501 bytes/);
  });

  it("resets a frame with no byte for the idle time, and never a stream between frames", () => {
    const s = stream(100_000);
    const bytes = frame(new Uint8Array(10).fill(1));
    s.send(bytes); // a whole frame: nothing under way
    s.clock.ms = 60_000;
    frames?.sweep();
    expect(s.stopped).toEqual([]);
    s.send(bytes.subarray(0, 3));
    s.clock.ms = 61_001;
    frames?.sweep();
    expect(s.stopped).toHaveLength(1);
  });

  it("judges nothing in a sweep that ran late (this thread was held: the bytes that came may wait unread)", () => {
    const s = stream(100_000);
    s.send(frame(new Uint8Array(10).fill(1)).subarray(0, 3));
    s.clock.ms = 2 * deadline.sweepMs + 1; // the sweep's timer fired this late
    frames?.sweep();
    expect(s.stopped).toEqual([]);
    s.clock.ms += deadline.sweepMs; // the next one, on time, after the bytes read meanwhile (none here)
    frames?.sweep();
    expect(s.stopped).toHaveLength(1);
  });

  it("counts the strangers' bytes held; past the bound it resets the frame under way longest, not the newcomer", () => {
    const max = 64 * 1024;
    const partial = frame(new Uint8Array(max).fill(2)).subarray(0, max); // all but the last byte
    const held = Array.from({ length: STRANGER_FRAMES_HELD }, (_, i) => {
      const s = stream(max, true);
      s.clock.ms = i; // the first began first
      expect(s.send(partial)).toBe(true);
      return s;
    });
    expect(frames?.heldByStrangers).toBeGreaterThan((STRANGER_FRAMES_HELD - 1) * max);
    expect(frames?.heldByStrangers).toBeLessThanOrEqual(STRANGER_FRAMES_HELD * max);
    const named = stream(max, false); // a persistent peer's frame is not counted
    expect(named.send(partial)).toBe(true);
    const newcomer = stream(max, true);
    newcomer.clock.ms = 10;
    expect(newcomer.send(partial)).toBe(true);
    expect(held[0].stopped).toHaveLength(1); // the oldest frame's stream
    expect(held[0].stopped[0]).toMatch(/under way longest/);
    for (const s of [...held.slice(1), named, newcomer]) expect(s.stopped).toEqual([]);
    expect(frames?.heldByStrangers).toBeLessThanOrEqual(STRANGER_FRAMES_HELD * max);
  });
});
