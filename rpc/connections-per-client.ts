import type { Socket } from "node:net";
import { clientKey } from "./client-address.ts";

/**
 * Open connections counted by client address (clientKey: an IPv4 address or an IPv6 /64), so that one client
 * cannot take every connection of a listener. A connection over the limit is answered 503 with the listener's
 * own body and closed at once; `wasRefused` tells the request handler not to answer a request read from it.
 * Used by the RPC port (rpc/server.ts) and the metrics listener (rpc/metrics-server.ts).
 */
export class ConnectionsPerClient {
  private readonly limit: number;
  /** The 503's content type and body, given the client's key and the limit. */
  private readonly refusal: (key: string, limit: number) => { contentType: string; body: string };
  private readonly open = new Map<string, number>();
  private readonly refused = new WeakSet<Socket>();

  constructor(limit: number, refusal: (key: string, limit: number) => { contentType: string; body: string }) {
    this.limit = limit;
    this.refusal = refusal;
  }

  /** Counts a new connection against its address, or refuses it (503, closed); true if it was admitted. */
  admit(socket: Socket): boolean {
    const key = clientKey(socket.remoteAddress);
    const open = this.open.get(key) ?? 0;
    if (open >= this.limit) {
      this.refused.add(socket);
      const { contentType, body } = this.refusal(key, this.limit);
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: ${contentType}\r\nconnection: close\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        () => socket.destroy(),
      );
      return false;
    }
    this.open.set(key, open + 1);
    socket.once("close", () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    });
    return true;
  }

  /** True for a connection answered 503 on arrival (and closing): a request read from it is not answered. */
  wasRefused(socket: Socket): boolean {
    return this.refused.has(socket);
  }
}
