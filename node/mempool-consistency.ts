/**
 * The mempool's self-check: what is wrong with its books, if anything (empty when sound). The byte and work
 * counts are the sums of the entries, the hash index and the per-sender nonce index hold the same entries,
 * each sender's spend, run end and gap counts match its entries, and the eviction index holds each sender's
 * highest nonce. For tests and debugging (MempoolBooks.consistencyProblems); O(size).
 */
import { keyId } from "../state/view.ts";
import type { CheapestFirst } from "./cheapest-first.ts";
import type { Entry, SenderQueue } from "./mempool-books.ts";

/** The books as the checker reads them (MempoolBooks's own fields). */
export interface BooksSnapshot {
  /** By tx id, and in admission order (node/entries-by-hash.ts). */
  byHash: { readonly size: number; get(id: string): Entry | undefined; values(): Iterable<Entry> };
  senders: ReadonlyMap<string, SenderQueue>;
  bytes: number;
  work: number;
  gappedTotal: number;
  tips: CheapestFirst<SenderQueue>;
}

export function consistencyProblems(books: BooksSnapshot): string[] {
  const problems: string[] = [];
  let bytes = 0;
  let inQueues = 0;
  let gapped = 0;
  let work = 0;
  let inOrder = 0;
  for (const entry of books.byHash.values()) {
    inOrder++;
    bytes += entry.tx.bytes.byteLength;
    work += entry.work;
    if (books.byHash.get(entry.tx.id) !== entry) problems.push(`${entry.tx.id} is in admission order but not indexed by hash`);
  }
  if (inOrder !== books.byHash.size)
    problems.push(`${books.byHash.size} txs indexed by hash but ${inOrder} in admission order`);
  if (bytes !== books.bytes) problems.push(`byte count ${books.bytes} but the entries hold ${bytes}`);
  if (work !== books.work) problems.push(`work count ${books.work} but the entries hold ${work}`);
  for (const [id, queue] of books.senders) {
    if (queue.byNonce.size === 0) problems.push(`sender ${id} has an empty queue`);
    let spend = 0n;
    for (const [nonce, entry] of queue.byNonce) {
      inQueues++;
      spend += entry.spend;
      if (books.byHash.get(entry.tx.id) !== entry) problems.push(`${entry.tx.id} is queued but not indexed by hash`);
      if (entry.tx.body.nonce !== nonce || keyId(entry.tx.sender) !== id)
        problems.push(`${entry.tx.id} is queued under the wrong sender or nonce`);
    }
    if (spend !== queue.spend) problems.push(`sender ${id} spend ${queue.spend} but its entries spend ${spend}`);
    let runEnd = queue.base;
    while (queue.byNonce.has(runEnd)) runEnd++;
    if (runEnd !== queue.runEnd) problems.push(`sender ${id}'s run ends at ${queue.runEnd}, its entries at ${runEnd}`);
    const behindGap = queue.byNonce.size - (runEnd - queue.base);
    if (behindGap !== queue.gapped) problems.push(`sender ${id} counts ${queue.gapped} behind a gap, its entries ${behindGap}`);
    const highest = Math.max(...queue.byNonce.keys());
    if (queue.tip !== queue.byNonce.get(highest)) problems.push(`sender ${id}'s tip is not its highest nonce ${highest}`);
    if (!books.tips.has(queue)) problems.push(`sender ${id} is missing from the eviction index`);
    gapped += queue.gapped;
  }
  if (inQueues !== books.byHash.size)
    problems.push(`${books.byHash.size} txs indexed by hash but ${inQueues} queued by nonce`);
  if (books.tips.size !== books.senders.size)
    problems.push(`the eviction index holds ${books.tips.size} senders, the pool ${books.senders.size}`);
  if (gapped !== books.gappedTotal) problems.push(`gapped total ${books.gappedTotal} but senders count ${gapped}`);
  return problems;
}
