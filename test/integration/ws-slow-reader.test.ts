import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLOSE_CODES } from "../../rpc/ws/limits.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * A client that reads all the time, but slowly (1 KiB every 20 ms), is not too slow: the ping the node sends
 * waits behind the notifications it is still writing, so an unanswered ping alone must not cut it off. Its
 * reading shows as write progress. The idle timeout (300 ms) is far shorter than the 5 s it reads for.
 */
const IDLE_MS = 300;
const READ_FOR_MS = 5000;
let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 20, rpc: { idle_timeout_ms: IDLE_MS } });
  await chain.waitForHeight(300, 60_000); // a replay of 300 blocks: more than it can read in READ_FOR_MS
}, 90_000);
afterAll(async () => {
  await chain?.stop();
});

/** A masked client frame (RFC 6455 5.3: all-zero mask) with a short payload. */
function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error("short frames only");
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** Reads `sock` 1 KiB per 20 ms, answering each ping it reads, until a close frame or READ_FOR_MS. */
type Seen = { closeCode?: number; texts: number; binaries: number; pings: number };

async function readSlowly(sock: Socket): Promise<Seen> {
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const seen: Seen = { closeCode: undefined, texts: 0, binaries: 0, pings: 0 };
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const n = Math.min(1024, sock.readableLength);
      const chunk = (n > 0 ? sock.read(n) : sock.read(0)) as Buffer | null;
      if (chunk !== null) buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        buf = buf.subarray(end + 4);
        upgraded = true;
      }
      for (;;) {
        if (buf.length < 2) break;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) break;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) break;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) break;
        const op = buf[0] & 0x0f;
        const payload = buf.subarray(at, at + len);
        buf = buf.subarray(at + len);
        if (op === 1) seen.texts++;
        if (op === 2) seen.binaries++;
        if (op === 9) {
          seen.pings++;
          sock.write(frame(0xa, Buffer.from(payload)));
        }
        if (op === 8) seen.closeCode = payload.readUInt16BE(0);
      }
      if (seen.closeCode !== undefined || Date.now() - started > READ_FOR_MS) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  return seen;
}

it("a client that keeps reading, slowly, is not cut off; once it stops reading, it is (4008)", async () => {
  const port = Number(new URL(chain.node.rpc.url).port);
  const sock = connect(port, "127.0.0.1");
  sock.pause();
  await new Promise((r) => sock.once("connect", r));
  sock.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const subscribe = { jsonrpc: "2.0", id: 1, method: "subscribe", params: { topic: "blocks", fromHeight: 1 } };
  sock.write(frame(1, Buffer.from(JSON.stringify(subscribe))));
  try {
    const seen = await readSlowly(sock);
    console.log("slow reader:", seen);
    expect(seen.closeCode).toBeUndefined();
    expect(seen.binaries).toBe(0);
    expect(seen.texts).toBeGreaterThan(10);
    expect(chain.node.websocket.stats.closedTooSlow).toBe(0);

    // It stops reading: the node cuts it off as too slow.
    const deadline = Date.now() + 20_000;
    while (chain.node.websocket.stats.closedTooSlow < 1) {
      if (Date.now() > deadline) throw new Error("a client that stopped reading was never cut off");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(chain.node.websocket.stats.closedTooSlow).toBe(1);
  } finally {
    sock.destroy();
  }
  expect(CLOSE_CODES.tooSlow).toBe(4008);
}, 40_000);
