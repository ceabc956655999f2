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
} as const;

export type TxErrorCode = keyof typeof TX_ERRORS;

export class TxError extends Error {
  override name = "TxError";
  readonly code: TxErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: TxErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
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
