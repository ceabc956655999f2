import { connect, createServer, Server, type Socket } from "node:net";
import { afterEach, expect, it } from "vitest";
import { TransferDeadline } from "../../p2p/transfer-deadline.ts";

/**
 * A TransferDeadline blames the peer for silence. When this process itself was frozen past the deadline (a
 * long GC, a loaded host), the peer's bytes may be waiting in our socket, and the deadline's timer is due in
 * the same turn of the event loop as their read: it must let that read happen before it gives up.
 */
const open: (Server | Socket)[] = [];
afterEach(() => {
  for (const s of open.splice(0)) {
    if (s instanceof Server) s.close();
    else s.destroy();
  }
});

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the process frozen: timers and I/O both fall due meanwhile */ }
}

it("does not give up on a peer whose bytes arrived while this process was frozen past the deadline", async () => {
  const received = new Promise<Socket>((resolve) => {
    const server = createServer(resolve);
    open.push(server);
    server.listen(0, "127.0.0.1");
  });
  const server = open[0] as Server;
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as { port: number };
  const client = connect(port, "127.0.0.1");
  open.push(client);
  await new Promise((r) => client.once("connect", r));
  const peer = await received;
  open.push(peer);

  const deadline = new TransferDeadline({ idleMs: 50, minBytesPerSecond: 1 });
  let bytes = 0;
  peer.on("data", (chunk: Buffer) => {
    bytes += chunk.byteLength;
    deadline.progress(chunk.byteLength);
  });
  client.write(Buffer.alloc(1000, 1)); // in our socket's buffer at once (loopback)
  busyWait(120); // frozen past the 50 ms deadline with the bytes unread
  await new Promise((r) => setTimeout(r, 20));
  expect(bytes).toBe(1000);
  expect(deadline.signal.aborted).toBe(false);
  deadline.clear();
});

it("still gives up on a peer that sent nothing", async () => {
  const deadline = new TransferDeadline({ idleMs: 30, minBytesPerSecond: 1 });
  await new Promise((r) => deadline.signal.addEventListener("abort", r));
  expect((deadline.signal.reason as Error).message).toMatch(/^transfer stalled: 0 bytes, none for \d+ ms/);
});
