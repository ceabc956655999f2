// One block: its header, its transactions with their results and events, and the block's own events.

import { accountLink, amount, eventList, fields, h, link, mono, section, table, time, txLink } from "../dom.js";
import { batch, RpcError } from "../rpc.js";
import { resultBadge } from "./tx.js";

/**
 * @param {string[]} params [height or hash]
 * @param {AbortSignal} signal
 */
export async function blockPage([which], signal) {
  const byHash = /^[0-9a-f]{64}$/.test(which);
  const [block, validators] = await batch(
    [
      ["chain_getBlock", { ...(byHash ? { hash: which } : { height: Number(which) }), txs: "full" }],
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
      ["Transactions", String(b.txs.length)],
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
