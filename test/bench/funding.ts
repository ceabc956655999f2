import { toBase64, toHex } from "../../crypto/bytes.ts";
import { DEFAULT_MEMPOOL_LIMITS } from "../../node/mempool.ts";
import type { RpcClient } from "../../rpc/client.ts";
import type { TestAccount } from "../helpers/accounts.ts";
import { RETRY_WAIT_MS, submitOutcome, TxRefusedError } from "./backpressure.ts";
import type { ChainFollower } from "./chain-follower.ts";

/**
 * Funds the sending accounts from one funded key, at any account count. A batch's calls are checked
 * concurrently and the mempool holds at most maxGappedPerSender of one sender's transactions waiting behind
 * a missing nonce, so the funding goes out in nonce order, one chunk of that size at a time; refusals for
 * back-pressure (the faucet's pending queue or the mempool full) are sent again after a short wait, any
 * other refusal stops the bench with its message. It returns once every funding tx is committed.
 */
export const FUNDING_CHUNK = DEFAULT_MEMPOOL_LIMITS.maxGappedPerSender;
const PROGRESS_EVERY_MS = 2_000;

export class FundingTimeoutError extends Error {
  constructor(committed: number, total: number) {
    super(`funding: only ${committed} of ${total} funding transactions were committed before the deadline`);
    this.name = "FundingTimeoutError";
  }
}

export async function fundAccounts(p: {
  rpc: RpcClient;
  follower: ChainFollower;
  chainId: string;
  faucet: TestAccount;
  recipients: readonly Uint8Array[];
  amount: bigint;
  fee: bigint;
  deadline: number;
  log: (line: string) => void;
}): Promise<void> {
  const txs = p.recipients.map((to) => p.faucet.transfer(p.chainId, to, p.amount, p.fee));
  const pending = new Set(txs.map((t) => toHex(t.hash)));
  const total = txs.length;
  let lastProgress = Date.now();
  const progress = (what: string) => {
    if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = Date.now();
    p.log(`funding: ${what}, ${total - pending.size}/${total} committed`);
  };
  const collectCommits = async () => {
    for (const block of await p.follower.poll()) for (const hash of block.txs) pending.delete(hash);
  };

  for (let start = 0; start < total; start += FUNDING_CHUNK) {
    const chunk = txs.slice(start, start + FUNDING_CHUNK);
    let todo = chunk;
    while (todo.length > 0) {
      if (Date.now() > p.deadline) throw new FundingTimeoutError(total - pending.size, total);
      const replies = await p.rpc.batch(todo.map((t) => ({ method: "tx_submit", params: { tx: toBase64(t.bytes) } })));
      const retry: typeof todo = [];
      replies.forEach((reply, i) => {
        const outcome = submitOutcome(reply);
        if (outcome.kind === "refused") throw new TxRefusedError("funding", outcome.message);
        if (outcome.kind === "retry") retry.push(todo[i]);
      });
      todo = retry; // still in nonce order: the accepted ones before them make them executable
      if (retry.length > 0) {
        await collectCommits();
        progress(`${start + chunk.length - retry.length}/${total} submitted (waiting on back-pressure)`);
        await new Promise((r) => setTimeout(r, RETRY_WAIT_MS));
      }
    }
  }
  while (pending.size > 0) {
    if (Date.now() > p.deadline) throw new FundingTimeoutError(total - pending.size, total);
    await collectCommits();
    progress(`${total}/${total} submitted`);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, RETRY_WAIT_MS));
  }
  p.log(`funding: ${total} accounts funded`);
}
