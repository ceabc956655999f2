// The chain at a glance: height, block interval, validators with power and status, and the latest blocks,
// with new ones added live from the WebSocket's "blocks" subscription.

import { accountLink, amount, blockLink, h, link, mono, section, table, time } from "../dom.js";
import { formatSeconds, shortHash } from "../format.js";
import { batch, call, RpcError, subscribeBlocks } from "../rpc.js";

/** Blocks listed (and averaged over for the interval). */
const RECENT_BLOCKS = 10;

/**
 * @typedef {import("../types.js").NodeStatus} NodeStatus
 * @typedef {import("../types.js").Block} Block
 * @typedef {import("../types.js").BlockNotice} BlockNotice
 * @typedef {import("../types.js").Validator} Validator
 * @typedef {import("../types.js").Page<Validator>} ValidatorPage
 */

/** @param {Validator} v */
function status(v) {
  if (v.tombstoned) return h("span", { class: "status-bad" }, "tombstoned");
  if (v.jailed) return h("span", { class: "status-bad" }, "jailed");
  return v.active ? h("span", { class: "status-ok" }, "active") : h("span", { class: "muted" }, "inactive");
}

/**
 * @param {string[]} _params
 * @param {AbortSignal} signal
 */
export async function chainPage(_params, signal) {
  /** @type {NodeStatus} */
  const node = await call("node_getStatus", {}, signal);
  const latest = node.latestHeight;
  const heights = [];
  for (let height = latest; height >= 1 && heights.length < RECENT_BLOCKS; height--) heights.push(height);
  // Headers and counts only (txs: "none"): a block's txs could fill the node's whole answer budget.
  const [validators, ...answers] = await batch(
    [["staking_getValidators", { status: "all", limit: 100 }], ...heights.map((height) => /** @type {[string, Record<string, unknown>]} */ (["chain_getBlock", { height, txs: "none" }]))],
    signal,
  );
  if (validators instanceof RpcError) throw validators;
  const vals = /** @type {ValidatorPage} */ (validators).items;
  const monikers = new Map(vals.map((v) => [v.consensusAddress, v]));
  /** @type {BlockNotice[]} */
  const blocks = answers
    .filter((b) => !(b instanceof RpcError))
    .map((/** @type {Block} */ b) => {
      const { height, time, proposer } = b.header;
      return { height, hash: b.hash, time, proposer, numTxs: b.numTxs };
    });

  const heightValue = h("div", { class: "value", id: "stat-height" }, blockLink(latest));
  const intervalValue = h("div", { class: "value", id: "stat-interval" }, intervalText(blocks));
  const liveValue = h("div", { class: "value", id: "stat-live" }, "connecting…");
  const rows = h("tbody", {}, blocks.map((b) => blockRow(b, monikers)));

  subscribeBlocks(
    latest + 1,
    (b) => {
      if (b.height <= (blocks[0]?.height ?? 0)) return; // listed already
      blocks.unshift(b);
      if (blocks.length > RECENT_BLOCKS) blocks.pop();
      const row = blockRow(b, monikers);
      row.classList.add("new");
      rows.prepend(row);
      while (rows.children.length > RECENT_BLOCKS) rows.lastElementChild?.remove();
      heightValue.replaceChildren(blockLink(b.height));
      intervalValue.replaceChildren(intervalText(blocks));
    },
    (state) => liveValue.replaceChildren(state === "live" ? "live" : "reconnecting…"),
    signal,
  );

  const stat = (/** @type {string} */ label, /** @type {HTMLElement} */ value) => h("div", { class: "stat" }, h("div", { class: "label" }, label), value);
  const body = h(
    "div",
    {},
    h(
      "div",
      { class: "stats" },
      stat("Height", heightValue),
      stat("Block interval", intervalValue),
      stat("Validators", h("div", { class: "value" }, String(vals.filter((v) => v.active).length), h("span", { class: "muted" }, ` active of ${vals.length}`))),
      stat("New blocks", liveValue),
    ),
    section(
      "Validators",
      table(
        ["Moniker", "Operator", "Power", "Tokens", "Status"],
        vals.map((v) => [v.moniker, accountLink(v.operator), String(v.power), amount(v.tokens), status(v)]),
        { numeric: [2, 3], label: "validators" },
      ),
    ),
    section(
      "Latest blocks",
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { "aria-label": "latest blocks" },
          h("thead", {}, h("tr", {}, ["Height", "Time", "Txs", "Proposer", "Hash"].map((x) => h("th", {}, x)))),
          rows,
        ),
      ),
    ),
  );
  return { title: `Chain ${node.chainId}`, body };
}

/**
 * The mean time between the listed blocks (the newest minus the oldest, over their count less one).
 * @param {BlockNotice[]} blocks newest first
 */
function intervalText(blocks) {
  if (blocks.length < 2) return "—";
  const newest = blocks[0];
  const oldest = blocks[blocks.length - 1];
  const ms = (Date.parse(newest.time) - Date.parse(oldest.time)) / (newest.height - oldest.height);
  return formatSeconds(ms);
}

/**
 * @param {BlockNotice} b
 * @param {Map<string, Validator>} validators by consensus address
 */
function blockRow(b, validators) {
  const v = validators.get(b.proposer);
  const proposer = v === undefined ? mono(shortHash(b.proposer)) : link(`/account/${v.operator}`, v.moniker, b.proposer);
  return h("tr", {}, h("td", {}, blockLink(b.height)), h("td", {}, time(b.time)), h("td", {}, String(b.numTxs)), h("td", {}, proposer), h("td", {}, link(`/block/${b.height}`, mono(shortHash(b.hash)), b.hash)));
}
