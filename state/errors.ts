/**
 * Why a transaction was refused (at admission) or failed (in a block). Each reason has a stable string code
 * for programs, a stable number (the `code` of a TxResult and, plus 1000, of a JSON-RPC error), and the
 * error carries a message a person understands ("nonce 7 expected, got 9").
 */
export const TX_ERRORS = {
  INTERNAL: 1,
  TX_TOO_LARGE: 2,
  TX_MALFORMED: 3,
  WRONG_CHAIN_ID: 4,
  BAD_SIGNATURE: 5,
  NONCE_TOO_LOW: 6,
  NONCE_TOO_HIGH: 7,
  NONCE_PENDING: 8,
  FEE_TOO_LOW: 9,
  INSUFFICIENT_FUNDS: 10,
  ALREADY_KNOWN: 11,
  ALREADY_INCLUDED: 12,
  MEMPOOL_FULL: 13,
  SENDER_QUEUE_FULL: 14,
  INVALID_MSG: 15,
  /** The object a message names (validator, datanet, contribution, model, inference...) does not exist. */
  NOT_FOUND: 16,
  /** The sender may not do this (not the owner, curator, operator...). */
  UNAUTHORIZED: 17,
  /** The object is not in a state that allows this (already reviewed, retired, recorded...). */
  INVALID_STATE: 18,
  /** Too late: the inference expired. */
  EXPIRED: 19,
  /** Too early: the validator's jail period is not over. */
  STILL_JAILED: 20,
  /** Unstaking more than is staked, or a stake below a minimum. */
  INSUFFICIENT_STAKE: 21,
  /** Attribution weights that name something outside what the model was trained on. */
  ATTRIBUTION_INVALID: 22,
  /** A module limit is reached (validators, list sizes). */
  LIMIT_EXCEEDED: 23,
} as const;

export type TxErrorCode = keyof typeof TX_ERRORS;

/**
 * A refusal is an answer, not a bug: it carries no stack trace. Capturing one cost ~10 us per error, and under
 * twice the load the network commits a node refuses thousands of txs a second (4.5% of its CPU went there).
 */
export class TxError extends Error {
  override name = "TxError";
  readonly code: TxErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: TxErrorCode, message: string, data?: Record<string, unknown>) {
    const stackFrames = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackFrames;
    this.code = code;
    this.data = data;
  }

  get number(): number {
    return TX_ERRORS[this.code];
  }
}

export function txErrorName(code: number): TxErrorCode | undefined {
  for (const [name, n] of Object.entries(TX_ERRORS)) if (n === code) return name as TxErrorCode;
  return undefined;
}
