import { referenceVerify } from "./reference-verify.ts";
import { decodeTx, txSignBytes } from "../../proto/tx.ts";
import { TestAccount } from "../helpers/accounts.ts";

/** The CPU time (every thread of the process) `fn` took, in microseconds. */
export function cpuUs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

/**
 * One verify's CPU time (the yardstick, reference-verify.ts: OpenSSL, cached key): the least of 5 rounds of 500. CPU
 * time, not wall time (verify-rate.ts's fastest window): on a machine loaded past its cores a wall-clock
 * yardstick stretches with the load while the CPU figures it divides do not. For the benches that time one
 * step alone (index-cost.ts, results-cost.ts).
 */
export function verifyCpuUs(chainId: string): number {
  const sender = new TestAccount();
  const items = Array.from({ length: 500 }, () => {
    const tx = decodeTx(sender.transfer(chainId, new TestAccount().address, 1n, 1000n).bytes);
    return { digest: txSignBytes(chainId, tx.bodyBytes), signature: tx.signature, key: tx.body.senderPubkey };
  });
  const all = () => {
    for (const it of items) if (!referenceVerify(it.digest, it.signature, it.key)) throw new Error("bad signature");
  };
  all();
  let best = Infinity;
  for (let round = 0; round < 5; round++) best = Math.min(best, cpuUs(all) / items.length);
  return best;
}
