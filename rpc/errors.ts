import { TX_ERRORS, TxError } from "../state/errors.ts";
import { StateValueDamagedError } from "../state/store/value-damage.ts";
import { INTERNAL_ERROR, RpcError } from "./rpc-error.ts";

// JSON-RPC 2.0's own error codes live with RpcError (browser-safe: the clients check them too).
export { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR } from "./rpc-error.ts";

/**
 * Application error codes. Transaction refusals are 1000 + the TxError number (state/errors.ts), e.g.
 * 1006 NONCE_TOO_LOW; lookups that find nothing and requests past the node's budgets are 2xxx. `data.reason` always holds the stable name.
 */
export const TX_ERROR_BASE = 1000;
export const APP_ERRORS = {
  BLOCK_NOT_FOUND: 2001,
  TX_NOT_FOUND: 2002,
  HEIGHT_NOT_AVAILABLE: 2003,
  /** A module object (validator, datanet, contribution, version, model, inference) that does not exist. */
  NOT_FOUND: 2004,
  INVALID_CURSOR: 2005,
  /** A request's answers reached rpc.max_response_bytes: the rest of it was not run. */
  RESPONSE_TOO_LARGE: 2006,
  /** A request read rpc.max_request_work keys of state: the rest of it was not run. */
  WORK_LIMIT_EXCEEDED: 2007,
  /** The node holds rpc.max_response_bytes_in_flight of answers for all requests: retry later. */
  NODE_BUSY: 2008,
  /** A state proof this node cannot make: a pruned height (below [state] keep_recent), or genesis (no header). */
  PROOF_NOT_AVAILABLE: 2009,
  /** A state_getProof key that names something outside the state tree (the genesis params). */
  NOT_IN_STATE: 2010,
  /** A search on a node started with [index] enabled = false (config.toml): it keeps no search index. */
  INDEX_DISABLED: 2011,
} as const;

// The class lives on its own so that the clients (rpc/client.ts, rpc/typed-client.ts) stay browser-safe.
export { RpcError };

export function appError(
  reason: keyof typeof APP_ERRORS,
  message: string,
  data?: Record<string, unknown>,
): RpcError {
  return new RpcError(APP_ERRORS[reason], message, { reason, ...data });
}

export function fromTxError(err: TxError): RpcError {
  return new RpcError(TX_ERROR_BASE + TX_ERRORS[err.code], err.message, { reason: err.code, ...err.data });
}

export function toRpcError(err: unknown): RpcError | undefined {
  if (err instanceof RpcError) return err;
  if (err instanceof TxError) return fromTxError(err);
  // Damage found on a read: the client is told what is wrong (the node must not answer on that value).
  if (err instanceof StateValueDamagedError) return new RpcError(INTERNAL_ERROR, err.message, { reason: "STATE_DAMAGED" });
  return undefined;
}
