/** JSON-RPC 2.0's own error codes (https://www.jsonrpc.org/specification#error_object). */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

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
