import { describe, expect, it } from "vitest";
import { decodeTx, type TxMsg } from "../../proto/tx.ts";
import { signTx } from "../../rpc/tx-builder.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { MAX_VOTE_VALIDATORS } from "../../state/modules/gov/gov.ts";
import { MSG_WORK, TX_BASE_WORK, txWork, VERIFY_WORK, VOTE_UNDO_WORK, VOTE_VALIDATOR_WORK, WORK_PER_KIB }
  from "../../state/work.ts";
import { TestAccount } from "../helpers/accounts.ts";

/**
 * Governance messages are priced from measurement (test/bench/gov-msg-work.ts): a vote pays per validator it
 * names (each a delegation read and a running sum written), and every vote pays for moving the sums of a
 * previous vote naming MAX_VOTE_VALIDATORS out of its old option (the tx does not show what it replaces).
 */
const voter = new TestAccount();

function work(msg: TxMsg): number {
  const body = { chainId: "opl-test-1", senderPubkey: voter.publicKey, nonce: 0, fee: DEFAULT_PARAMS.minFee, msg };
  return txWork(decodeTx(signTx(body, (m) => voter.sign(m)).bytes));
}

describe("governance work", () => {
  it("a vote costs VOTE_VALIDATOR_WORK more per validator it names, beyond its bytes", () => {
    const validators = Array.from({ length: 16 }, (_, i) => new Uint8Array(20).fill(i + 1));
    const vote = (k: number): TxMsg => ({ type: "vote", proposalId: 1, option: "yes", validators: validators.slice(0, k) });
    const none = work(vote(0));
    const sixteen = work(vote(16));
    // 16 addresses of 20 bytes (and their field tags) add at most this much byte work.
    const bytesWork = Math.ceil((16 * 22 * WORK_PER_KIB) / 1024);
    expect(sixteen - none).toBeGreaterThanOrEqual(16 * VOTE_VALIDATOR_WORK);
    expect(sixteen - none).toBeLessThanOrEqual(16 * VOTE_VALIDATOR_WORK + bytesWork);
  });

  it("a vote naming one pays for undoing a previous vote naming MAX_VOTE_VALIDATORS", () => {
    const one: TxMsg = { type: "vote", proposalId: 1, option: "yes", validators: [new Uint8Array(20).fill(1)] };
    const fixed = VERIFY_WORK + TX_BASE_WORK + MSG_WORK.vote + VOTE_VALIDATOR_WORK;
    expect(VOTE_UNDO_WORK).toBeGreaterThan(0);
    expect(work(one) - fixed).toBeGreaterThanOrEqual(MAX_VOTE_VALIDATORS * VOTE_UNDO_WORK);
  });

  it("a vote naming MAX_VOTE_VALIDATORS is charged per validator what it was calibrated at (25: in and out)", () => {
    expect(VOTE_VALIDATOR_WORK + VOTE_UNDO_WORK).toBe(25);
  });
});
