import type { ChainApp } from "./chain-app.ts";
import type { Mempool } from "./mempool.ts";

/**
 * A one-line live status for a person watching `npm start`: height, txs in the last block, total txs
 * since start, mempool size. Rewritten in place on a terminal; one line per block otherwise.
 */
export function showStatusLine(
  app: ChainApp,
  mempool: Mempool,
  out: NodeJS.WriteStream = process.stdout,
): void {
  let total = 0;
  const tty = out.isTTY === true;
  app.onCommit((e) => {
    total += e.numTxs;
    const line = `height ${e.height} | block txs ${e.numTxs} | txs since start ${total} | mempool ${mempool.size}`;
    if (tty) out.write(`\r\x1b[K${line}`);
    else out.write(`${line}\n`);
  });
}
