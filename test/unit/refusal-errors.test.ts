import { describe, expect, it } from "vitest";
import { fromTxError, RpcError } from "../../rpc/errors.ts";
import { TxError } from "../../state/errors.ts";

/**
 * Under twice the load the network commits, a node refuses thousands of txs a second, and each refusal made a
 * TxError and an RpcError: capturing their stack traces took 4.5% of a node's CPU in a profile of
 * `npm run bench -- --validators 4 --rate 4000`. A refusal is an answer, not a bug: no stack trace, while the
 * process's own setting for other errors is left as it was.
 */
describe("refusal errors", () => {
  it("carry their code, message and data but no stack frames", () => {
    const refusal = new TxError("MEMPOOL_FULL", "the mempool is full; try again after the next block", { a: 1 });
    expect(refusal).toBeInstanceOf(Error);
    expect(refusal.code).toBe("MEMPOOL_FULL");
    expect(refusal.data).toEqual({ a: 1 });
    expect(refusal.stack ?? "").not.toMatch(/\n\s+at /);
    const answer = fromTxError(refusal);
    expect(answer).toBeInstanceOf(RpcError);
    expect(answer.message).toBe(refusal.message);
    expect(answer.stack ?? "").not.toMatch(/\n\s+at /);
  });

  it("leave other errors their stack traces", () => {
    const limit = Error.stackTraceLimit;
    new TxError("NONCE_TOO_HIGH", "a gap");
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("a bug").stack).toMatch(/\n\s+at /);
  });
});
