/**
 * A JSON-RPC error answer: its code, message and data. The node throws it to answer a client (not a bug: no
 * stack trace; see TxError, every refused tx_submit makes one), and the clients throw it when a call is
 * answered with an error. No imports: the clients that throw it run in a browser too.
 */
export class RpcError extends Error {
  override name = "RpcError";
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    const stackFrames = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackFrames;
    this.code = code;
    this.data = data;
  }
}
