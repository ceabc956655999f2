/**
 * Request bodies the RPC server holds before they are parsed, node-wide and per connection. A connection
 * may pipeline requests (rpc/server.ts runs them one at a time), and each waiting body is held in full: up to
 * MAX_PIPELINED (8) bodies of rpc.max_body_bytes each behind a slow request, on each of rpc.max_connections
 * connections, ~9 GiB at the defaults (an audit held +262 MB with 32 connections from one address). Now a
 * connection holds at most two full bodies (the one running and one waiting), one client address (IPv4, or
 * IPv6 /64) at most a quarter of MAX_BUFFERED_BODY_BYTES (so one address trickling bodies on all its
 * connections cannot take the whole budget from the others), and all of them together
 * MAX_BUFFERED_BODY_BYTES; a request past any is refused (503) and its connection closed.
 */
export const MAX_BUFFERED_BODY_BYTES = 64 * 1024 * 1024;

/** The share of MAX_BUFFERED_BODY_BYTES one client address may hold (as rpc/answer-bytes.ts shares answers). */
export const BODY_CLIENT_SHARE = 4;

export class BodyBytes {
  private readonly perConnection: number;
  private readonly perClient: number;
  private readonly total: number;
  private used = 0;
  private readonly byConnection = new WeakMap<object, number>();
  /** Bytes held per client address; an address holding none has no entry. */
  private readonly byClient = new Map<string, number>();

  /** `maxBodyBytes`: rpc.max_body_bytes (a connection holds at most two such bodies, an address at least that). */
  constructor(maxBodyBytes: number, total = MAX_BUFFERED_BODY_BYTES) {
    this.perConnection = 2 * maxBodyBytes;
    this.perClient = Math.max(this.perConnection, Math.floor(total / BODY_CLIENT_SHARE));
    this.total = total;
  }

  /** Bytes held now, all connections together. */
  get held(): number {
    return this.used;
  }

  /** Takes `n` more bytes for `connection` of `client`; false (nothing taken) past a share or the total. */
  take(connection: object, client: string, n: number): boolean {
    const mine = this.byConnection.get(connection) ?? 0;
    const theirs = this.byClient.get(client) ?? 0;
    if (mine + n > this.perConnection || theirs + n > this.perClient || this.used + n > this.total) return false;
    this.byConnection.set(connection, mine + n);
    this.byClient.set(client, theirs + n);
    this.used += n;
    return true;
  }

  give(connection: object, client: string, n: number): void {
    if (n <= 0) return;
    this.byConnection.set(connection, Math.max(0, (this.byConnection.get(connection) ?? 0) - n));
    const left = (this.byClient.get(client) ?? 0) - n;
    if (left > 0) this.byClient.set(client, left);
    else this.byClient.delete(client);
    this.used = Math.max(0, this.used - n);
  }
}
