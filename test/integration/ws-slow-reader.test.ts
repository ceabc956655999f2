import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CLOSE_CODES, WS_MIN_READ_BYTES_PER_SECOND } from "../../rpc/ws/limits.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * A client that reads all the time, but slowly (1.5 x WS_MIN_READ_BYTES_PER_SECOND), is not too slow: the ping
 * the node sends waits behind the notifications it is still writing, so an unanswered ping alone must not cut it
 * off. Once it stops reading, it is cut off (4008).
 *
 * Nothing here rests on the machine's speed. The client is paced by bytes per second of elapsed time, not by
 * bytes per timer tick, so a loaded event loop (this process runs the node too) delays its reads but does not
 * slow its rate; the reading phase ends when the replay is read, not after a fixed time. The idle timeout is the
 * patience with a ping that has nothing ahead of it (the replay not yet sent, or read): 2 s, several times the
 * event-loop delays seen on a loaded 2-core machine (up to 650 ms; with 300 ms the node cut this client off
 * there). The replay takes over two idle timeouts to read, so a node that wanted every pong within the idle
 * timeout (as before rpc/ws/heartbeat.ts) still cuts this client off: checked below from the replay's size.
 */
const IDLE_MS = 2000;
const READ_BYTES_PER_SECOND = 1.5 * WS_MIN_READ_BYTES_PER_SECOND;
/** Reading credit a paced client may bank while nothing is there to read: it stays a slow reader. */
const MAX_CREDIT_BYTES = READ_BYTES_PER_SECOND;
const REPLAY_HEIGHT = 400; // ~330 bytes a block notification: ~130 KB, 5.4 s to read at READ_BYTES_PER_SECOND
let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 20, rpc: { idle_timeout_ms: IDLE_MS } });
  await chain.waitForHeight(REPLAY_HEIGHT, 150_000); // a bound for a loaded machine only: 8 s when idle
}, 180_000);
afterAll(async () => {
  await chain?.stop();
});

/** A masked client frame (RFC 6455 5.3: all-zero mask) with a short payload. */
function frame(opcode: number, payload: Buffer): Buffer {
  if (payload.length >= 126) throw new Error("short frames only");
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** A raw WebSocket client that reads its socket only when told to, answering each ping it reads. */
class Client {
  readonly sock: Socket;
  closeCode: number | undefined;
  /** The socket ended or failed (the node dropped it without a close frame). */
  gone = false;
  texts = 0;
  binaries = 0;
  pings = 0;
  /** Bytes read from the socket. */
  bytes = 0;
  /** The latest height when the subscription started (its answer), and the highest height notified since. */
  latestHeight: number | undefined;
  notifiedHeight = 0;
  /** Bytes read once the notification of latestHeight was read: the replay's size. */
  replayBytes: number | undefined;
  private buf = Buffer.alloc(0);
  private upgraded = false;

  constructor(sock: Socket) {
    this.sock = sock;
    sock.on("error", () => (this.gone = true));
    sock.on("close", () => (this.gone = true));
    sock.on("end", () => (this.gone = true));
  }

  get replayed(): boolean {
    return this.replayBytes !== undefined;
  }

  /** Reads up to `max` bytes of what the socket holds, and handles the whole frames read. */
  read(max: number): void {
    const n = Math.min(max, this.sock.readableLength);
    const chunk = (n > 0 ? this.sock.read(n) : this.sock.read(0)) as Buffer | null;
    if (chunk !== null) {
      this.bytes += chunk.length;
      this.buf = Buffer.concat([this.buf, chunk]);
    }
    if (!this.upgraded) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.buf = this.buf.subarray(end + 4);
      this.upgraded = true;
    }
    for (;;) {
      const buf = this.buf;
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
      this.buf = buf.subarray(at + len);
      if (op === 1) this.text(payload);
      if (op === 2) this.binaries++;
      if (op === 9) {
        this.pings++;
        this.sock.write(frame(0xa, Buffer.from(payload)));
      }
      if (op === 8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    }
  }

  private text(payload: Buffer): void {
    this.texts++;
    const msg = JSON.parse(payload.toString("utf8")) as {
      id?: number;
      result?: { latestHeight?: number };
      params?: { result?: { height?: number } };
    };
    if (msg.id === 1 && msg.result?.latestHeight !== undefined) this.latestHeight = msg.result.latestHeight;
    const height = msg.params?.result?.height;
    if (height !== undefined) this.notifiedHeight = Math.max(this.notifiedHeight, height);
    if (this.replayBytes === undefined && this.latestHeight !== undefined && this.notifiedHeight >= this.latestHeight) {
      this.replayBytes = this.bytes - this.buf.length;
    }
  }

  /** Runs `step` every 20 ms until `done` (checked after each step). */
  until(step: () => void, done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        step();
        if (done()) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
  }
}

it("a client that keeps reading, slowly, is not cut off; once it stops reading, it is (4008)", async () => {
  const port = Number(new URL(chain.node.rpc.url).port);
  const sock = connect(port, "127.0.0.1");
  sock.pause();
  const client = new Client(sock);
  await new Promise((r) => sock.once("connect", r));
  sock.write("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const subscribe = { jsonrpc: "2.0", id: 1, method: "subscribe", params: { topic: "blocks", fromHeight: 1 } };
  sock.write(frame(1, Buffer.from(JSON.stringify(subscribe))));
  try {
    // It reads the replay at READ_BYTES_PER_SECOND of elapsed time (what a late tick missed, the next one reads).
    const started = Date.now();
    let allowed = 0;
    let last = started;
    await client.until(() => {
      const now = Date.now();
      allowed = Math.min(allowed + ((now - last) * READ_BYTES_PER_SECOND) / 1000, client.bytes + MAX_CREDIT_BYTES);
      last = now;
      client.read(Math.floor(allowed - client.bytes));
    }, () => client.replayed || client.closeCode !== undefined || client.gone);
    const { closeCode, gone, texts, pings, bytes, latestHeight, replayBytes } = client;
    console.log("slow reader:", { closeCode, gone, texts, pings, bytes, latestHeight, replayBytes, ms: Date.now() - started });
    expect(client.closeCode).toBeUndefined();
    expect(client.gone).toBe(false);
    expect(client.binaries).toBe(0);
    expect(client.latestHeight).toBeGreaterThanOrEqual(REPLAY_HEIGHT);
    expect(chain.node.websocket.stats.closedTooSlow).toBe(0);
    // The replay took over two idle timeouts to read: a ping sent behind it waited longer than one.
    expect(client.replayBytes).toBeGreaterThan((2 * IDLE_MS * READ_BYTES_PER_SECOND) / 1000);

    // It stops reading: the node cuts it off as too slow (a bound for a loaded machine only: ~10 s when idle).
    const deadline = Date.now() + 90_000;
    while (chain.node.websocket.stats.closedTooSlow < 1) {
      if (Date.now() > deadline) throw new Error("a client that stopped reading was never cut off");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(chain.node.websocket.stats.closedTooSlow).toBe(1);
    // Reading on, it gets the notifications queued before it was cut off, then the close frame: 4008.
    await client.until(() => client.read(1 << 20), () => client.closeCode !== undefined || client.gone);
    expect(client.closeCode).toBe(CLOSE_CODES.tooSlow);
  } finally {
    sock.destroy();
  }
  expect(CLOSE_CODES.tooSlow).toBe(4008);
}, 240_000);
