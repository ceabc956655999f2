import { APP_ERRORS, RpcError } from "./errors.ts";

/**
 * An answer smaller than this is "small": it may use the last HEADROOM_SHARE of the node-wide budget, which
 * bigger answers may not, so that however many big answers clients keep in flight (read slowly, from many
 * addresses), status calls and small queries are still answered.
 */
export const SMALL_ANSWER_BYTES = 64 * 1024;
/** The part of rpc.max_response_bytes_in_flight only small answers may use. */
export const HEADROOM_SHARE = 1 / 8;
/**
 * The part of rpc.max_response_bytes_in_flight the requests of one client address (IPv4 address or IPv6 /64,
 * as for the connection limit) may hold together; never less than one full answer (rpc.max_response_bytes).
 * One address reading its answers slowly on all its connections then holds at most this much.
 */
export const CLIENT_SHARE = 1 / 4;

/**
 * The bytes of answers held in memory, per request and node-wide, from the moment an answer is made until the
 * socket has sent it. A request may hold `maxPerRequest` (rpc.max_response_bytes); all requests together
 * `maxInFlight` (rpc.max_response_bytes_in_flight), so that many clients (an IPv6 attacker has addresses
 * without end) cannot together make the node hold more than that, whatever each one's own budget.
 */
export class AnswerBytes {
  readonly maxPerRequest: number;
  readonly maxInFlight: number;
  /** Most bytes the requests of one client address hold together (CLIENT_SHARE). */
  readonly maxPerClient: number;
  /** Most bytes held node-wide after taking a big answer (all but the headroom kept for small ones). */
  readonly maxForBig: number;
  private held = 0;
  private readonly perClient = new Map<string, number>();

  constructor(maxPerRequest: number, maxInFlight: number) {
    this.maxPerRequest = maxPerRequest;
    this.maxInFlight = maxInFlight;
    this.maxPerClient = Math.max(maxPerRequest, Math.floor(maxInFlight * CLIENT_SHARE));
    // One full answer must still fit (config.ts lets max_response_bytes be all of the budget; then no headroom).
    this.maxForBig = Math.max(maxPerRequest, maxInFlight - Math.floor(maxInFlight * HEADROOM_SHARE));
  }

  /** Bytes of answers held now, node-wide. */
  get inFlight(): number {
    return this.held;
  }

  /** Bytes held now for the requests of one client address. */
  heldBy(client: string): number {
    return this.perClient.get(client) ?? 0;
  }

  /** The account of one request, from `client` (its address key, rpc/client-address.ts). */
  forRequest(client = "local"): RequestAnswerBytes {
    return new RequestAnswerBytes(this, client, (n) => {
      this.held += n;
      const mine = this.heldBy(client) + n;
      if (mine <= 0) this.perClient.delete(client);
      else this.perClient.set(client, mine);
    });
  }

  /**
   * The error refusing `size` more bytes to a request from `client` that holds `requestBytes` already, or
   * undefined if the node can hold them. Only a request whose answers stay small may use the headroom (a batch of
   * many small answers is a big answer).
   */
  refusal(client: string, requestBytes: number, size: number): RpcError | undefined {
    const cap = requestBytes + size < SMALL_ANSWER_BYTES ? this.maxInFlight : this.maxForBig;
    if (this.held + size > cap) return this.busy();
    if (this.heldBy(client) + size > this.maxPerClient) return this.clientBusy(client);
    return undefined;
  }

  /** The error for an answer that would take the request past its own budget. */
  tooLarge(): RpcError {
    return new RpcError(
      APP_ERRORS.RESPONSE_TOO_LARGE,
      `response budget of ${this.maxPerRequest} bytes exceeded (rpc.max_response_bytes): this call and the ` +
      "rest of the request were not answered; ask for fewer or smaller pages per request",
      { reason: "RESPONSE_TOO_LARGE", limit: this.maxPerRequest },
    );
  }

  /** The error for an answer that would take the node past what it holds for all requests. */
  busy(): RpcError {
    return new RpcError(
      APP_ERRORS.NODE_BUSY,
      `the node is busy: it holds ${this.held} bytes of answers not yet sent, and at most ${this.maxInFlight} ` +
      "(rpc.max_response_bytes_in_flight); this call and the rest of the request were not answered; retry later",
      { reason: "NODE_BUSY", limit: this.maxInFlight },
    );
  }

  /** The error for a big answer that would take one client address past its share. */
  clientBusy(client: string): RpcError {
    return new RpcError(
      APP_ERRORS.NODE_BUSY,
      `the node is busy for ${client}: its requests hold ${this.heldBy(client)} bytes of answers not yet sent, ` +
      `and one address may hold at most ${this.maxPerClient} (a quarter of rpc.max_response_bytes_in_flight); ` +
      "this call and the rest of the request were not answered; read the answers you asked for, then retry",
      { reason: "NODE_BUSY", limit: this.maxInFlight, perClient: this.maxPerClient },
    );
  }
}

export class RequestAnswerBytes {
  private readonly node: AnswerBytes;
  private readonly client: string;
  private readonly add: (n: number) => void;
  private bytes = 0;
  private closed = false;

  constructor(node: AnswerBytes, client: string, add: (n: number) => void) {
    this.node = node;
    this.client = client;
    this.add = add;
  }

  /** Takes `size` bytes for an answer of this request; the error that refuses it, or undefined if taken. */
  take(size: number): RpcError | undefined {
    // After close, a call of the request still running (a bug, or a race with the end) must not hold bytes
    // that nobody would give back.
    if (this.closed) return this.node.busy();
    if (this.bytes + size > this.node.maxPerRequest) return this.node.tooLarge();
    const refused = this.node.refusal(this.client, this.bytes, size);
    if (refused !== undefined) return refused;
    this.bytes += size;
    this.add(size);
    return undefined;
  }

  /** Gives back everything this request took (its answers were sent, or will never be); idempotent. */
  release(): void {
    this.add(-this.bytes);
    this.bytes = 0;
  }

  /** Gives back everything and refuses any further take: the request has ended (idempotent). */
  close(): void {
    this.closed = true;
    this.release();
  }
}

/** Whether an error is one of these budgets running out (the answers still coming are not sent either). */
export function isAnswerBytesError(err: RpcError | undefined): boolean {
  return err?.code === APP_ERRORS.RESPONSE_TOO_LARGE || err?.code === APP_ERRORS.NODE_BUSY;
}
