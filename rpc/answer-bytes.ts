import { APP_ERRORS, RpcError } from "./errors.ts";

/**
 * The bytes of answers held in memory, per request and node-wide, from the moment an answer is made until the
 * socket has sent it. A request may hold `maxPerRequest` (rpc.max_response_bytes); all requests together
 * `maxInFlight` (rpc.max_response_bytes_in_flight), so that many clients (an IPv6 attacker has addresses
 * without end) cannot together make the node hold more than that, whatever each one's own budget.
 */
export class AnswerBytes {
  readonly maxPerRequest: number;
  readonly maxInFlight: number;
  private held = 0;

  constructor(maxPerRequest: number, maxInFlight: number) {
    this.maxPerRequest = maxPerRequest;
    this.maxInFlight = maxInFlight;
  }

  /** Bytes of answers held now, node-wide. */
  get inFlight(): number {
    return this.held;
  }

  /** The account of one request. */
  forRequest(): RequestAnswerBytes {
    return new RequestAnswerBytes(this, (n) => (this.held += n));
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
}

export class RequestAnswerBytes {
  private readonly node: AnswerBytes;
  private readonly add: (n: number) => void;
  private bytes = 0;
  private closed = false;

  constructor(node: AnswerBytes, add: (n: number) => void) {
    this.node = node;
    this.add = add;
  }

  /** Takes `size` bytes for an answer of this request; the error that refuses it, or undefined if taken. */
  take(size: number): RpcError | undefined {
    // After close, a call of the request still running (a bug, or a race with the end) must not hold bytes
    // that nobody would give back.
    if (this.closed) return this.node.busy();
    if (this.bytes + size > this.node.maxPerRequest) return this.node.tooLarge();
    if (this.node.inFlight + size > this.node.maxInFlight) return this.node.busy();
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
