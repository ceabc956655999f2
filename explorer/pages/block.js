// One block: its header, its transactions with their results and events (a page of them at a time: a block
// may hold 20,000 txs, far more than one answer of the node carries), and the block's own events.

import { accountLink, amount, eventList, fields, h, link, mono, section, table, time, txLink } from "../dom.js";
import { batch, RpcError } from "../rpc.js";
import { resultBadge } from "./tx.js";

/** Transactions shown per page of a block (each with its result and events). */
export const BLOCK_TX_PAGE = 100;

/**
 * @param {(string | undefined)[]} params [height or hash, index of the first tx shown (default 0)]
 * @param {AbortSignal} signal
 */
export async function blockPage([which = "", from], signal) {
  const byHash = /^[0-9a-f]{64}$/.test(which);
  const offset = Number(from ?? 0);
  const [block, validators] = await batch(
    [
      ["chain_getBlock", { ...(byHash ? { hash: which } : { height: Number(which) }), txs: "full", txOffset: offset, txLimit: BLOCK_TX_PAGE }],
      ["staking_getValidators", { status: "all", limit: 100 }],
    ],
    signal,
  );
  if (block instanceof RpcError) throw block;
  /** @type {import("../types.js").Block} */
  const b = block;
  const hd = b.header;
  // The header names the proposer by consensus address; its validator (if still listed) has a name.
  /** @type {import("../types.js").Validator[]} */
  const listed = validators instanceof RpcError ? [] : validators.items;
  const proposer = listed.find((v) => v.consensusAddress === hd.proposer);
  const nav = h(
    "p",
    {},
    hd.height > 1 ? link(`/block/${hd.height - 1}`, `← block ${hd.height - 1}`) : null,
    " ",
    link(`/block/${hd.height + 1}`, `block ${hd.height + 1} →`),
  );
  const body = h(
    "div",
    {},
    nav,
    fields([
      ["Height", String(hd.height)],
      ["Hash", mono(b.hash)],
      ["Time", time(hd.time)],
      ["Transactions", String(b.numTxs)],
      ["Proposer", [proposer === undefined ? null : [link(`/account/${proposer.operator}`, proposer.moniker), " "], mono(hd.proposer)]],
      ["Previous block", hd.height > 1 ? link(`/block/${hd.height - 1}`, mono(hd.lastBlockHash)) : mono(hd.lastBlockHash)],
      ["Chain", hd.chainId],
      ["State root", mono(hd.stateRoot)],
      ["Txs root", mono(hd.txsRoot)],
      ["Results root", mono(hd.resultsRoot)],
      ["Validators hash", mono(hd.validatorsHash)],
      ["Next validators hash", mono(hd.nextValidatorsHash)],
      ["Last commit hash", mono(hd.lastCommitHash)],
      ["Evidence root", mono(hd.evidenceRoot)],
    ]),
    section(
      "Transactions",
      txPager(hd.height, offset, b.numTxs),
      table(
        ["#", "Hash", "Type", "Sender", "Fee", "Result", "Events"],
        b.txs.map((t) => [
          String(t.index),
          txLink(t.hash),
          t.tx.msg.type,
          accountLink(t.tx.sender),
          amount(t.tx.fee),
          resultBadge(t.result),
          eventList(t.result.events),
        ]),
        { numeric: [0, 4], empty: "no transactions", label: "transactions" },
      ),
    ),
    section("Block events", eventList(b.events)),
  );
  return { title: `Block ${hd.height}`, body };
}

/**
 * Which txs of the block are shown, with links to the pages before and after (none for a block of one page).
 * @param {number} height
 * @param {number} offset index of the first tx shown
 * @param {number} numTxs
 */
function txPager(height, offset, numTxs) {
  if (offset === 0 && numTxs <= BLOCK_TX_PAGE) return null;
  const last = Math.min(offset + BLOCK_TX_PAGE, numTxs);
  const before = Math.max(0, offset - BLOCK_TX_PAGE);
  return h(
    "p",
    { class: "pager" },
    offset > 0 ? [link(`/block/${height}/txs/${before}`, "← earlier txs"), " "] : null,
    offset < numTxs ? `txs ${offset}–${last - 1} of ${numTxs}` : `no txs from ${offset} on (the block has ${numTxs})`,
    last < numTxs ? [" ", link(`/block/${height}/txs/${last}`, "later txs →")] : null,
  );
}
