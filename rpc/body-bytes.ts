/**
 * Request bodies the RPC server holds before they are parsed, node-wide and per connection. A connection
 * may pipeline requests (rpc/server.ts runs them one at a time), and each waiting body is held in full: up to
 * MAX_PIPELINED (8) bodies of rpc.max_body_bytes each behind a slow request, on each of rpc.max_connections
 * connections, ~9 GiB at the defaults (an audit held +262 MB with 32 connections from one address). Now a
 * connection holds at most two full bodies (the one running and one waiting) and all of them together
 * MAX_BUFFERED_BODY_BYTES; a request past either is refused (503) and its connection closed.
 */
export const MAX_BUFFERED_BODY_BYTES = 64 * 1024 * 1024;

export class BodyBytes {
  private readonly perConnection: number;
  private readonly total: number;
  private used = 0;
  private readonly byConnection = new WeakMap<object, number>();

  /** `maxBodyBytes`: rpc.max_body_bytes (a connection holds at most two such bodies). */
  constructor(maxBodyBytes: number, total = MAX_BUFFERED_BODY_BYTES) {
    this.perConnection = 2 * maxBodyBytes;
    this.total = total;
  }

  /** Bytes held now, all connections together. */
  get held(): number {
    return this.used;
  }

  /** Takes `n` more bytes for `connection`; false (nothing taken) past its share or past the total. */
  take(connection: object, n: number): boolean {
    const mine = this.byConnection.get(connection) ?? 0;
    if (mine + n > this.perConnection || this.used + n > this.total) return false;
    this.byConnection.set(connection, mine + n);
    this.used += n;
    return true;
  }

  give(connection: object, n: number): void {
    if (n <= 0) return;
    this.byConnection.set(connection, Math.max(0, (this.byConnection.get(connection) ?? 0) - n));
    this.used = Math.max(0, this.used - n);
  }
}
