// One transaction: where it is, who sent it, what it asked (the message), and what it did (result, events).

import { accountLink, amount, blockLink, eventList, fields, h, link, mono, section } from "../dom.js";
import { formatPpm } from "../format.js";
import { call, RpcError } from "../rpc.js";

/** tx_get's TX_NOT_FOUND: not in a block (yet); tx_getStatus tells whether it waits, or what became of it. */
const TX_NOT_FOUND = 2002;

/**
 * "OK" in green, or the failure's reason name in red.
 * @param {import("../types.js").TxResult} r
 */
export function resultBadge(r) {
  if (r.code === 0) return h("span", { class: "status-ok" }, "OK");
  return h("span", { class: "status-bad", title: r.log }, r.reason ?? `code ${r.code}`);
}

/** Message fields that are amounts of base units. */
const AMOUNTS = new Set(["amount", "price", "maxPrice", "selfStake", "contributionStake", "reviewFee", "initialDeposit", "deposit"]);
/** Message fields that are the id of a record with a page. */
const IDS = /** @type {Record<string, string>} */ ({ datanetId: "datanet", modelId: "model", parentId: "model", inferenceId: "inference", contributionId: "contribution" });

/**
 * One message field as a person reads it: amounts in OPEN, addresses and ids linked, lists one item a line.
 * @param {string} key
 * @param {unknown} value
 * @returns {import("../dom.js").Child}
 */
export function msgValue(key, value) {
  if (typeof value === "string") {
    if (value.startsWith("opl1")) return accountLink(value);
    if (AMOUNTS.has(key) && /^\d+$/.test(value)) return amount(value);
    if (/^[0-9a-f]{64}$/.test(value)) return mono(value);
    return value === "" ? h("span", { class: "muted" }, "(empty)") : value;
  }
  if (typeof value === "number" && IDS[key] !== undefined) return value === 0 ? "none" : link(`/${IDS[key]}/${value}`, String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h("span", { class: "muted" }, "none");
    return h("ul", { class: "events" }, value.map((item) => h("li", {}, typeof item === "object" && item !== null ? objectLine(item) : String(item))));
  }
  if (typeof value === "object" && value !== null) return objectLine(/** @type {Record<string, unknown>} */ (value));
  return String(value);
}

/** @param {Record<string, unknown>} o */
function objectLine(o) {
  return Object.entries(o).map(([k, v], i) => [i > 0 ? ", " : "", `${k}: `, k === "ppm" && typeof v === "number" ? formatPpm(v) : msgValue(k, v)]); // nested lists are flattened by h()
}

/**
 * @param {string[]} params [hash]
 * @param {AbortSignal} signal
 */
export async function txPage([hash], signal) {
  /** @type {import("../types.js").TxView} */
  let t;
  try {
    t = await call("tx_get", { hash }, signal);
  } catch (err) {
    if (!(err instanceof RpcError) || err.code !== TX_NOT_FOUND) throw err;
    return notInBlock(hash, signal);
  }
  const msg = Object.entries(t.tx.msg).filter(([k]) => k !== "type");
  const body = h(
    "div",
    {},
    fields([
      ["Hash", mono(t.hash)],
      ["Result", [resultBadge(t.result), t.result.log === "" ? null : h("span", { class: "muted" }, ` ${t.result.log}`)]],
      ["Block", blockLink(t.height)],
      ["Index in block", String(t.index)],
      ["Type", t.tx.msg.type],
      ["Sender", accountLink(t.tx.sender)],
      ["Nonce", String(t.tx.nonce)],
      ["Fee", amount(t.tx.fee)],
    ]),
    section(`Message: ${t.tx.msg.type}`, msg.length === 0 ? h("p", { class: "muted" }, "no fields") : fields(msg.map(([k, v]) => [k, msgValue(k, v)]))),
    section("Events", eventList(t.result.events)),
  );
  return { title: "Transaction", body };
}

/**
 * A tx in no block: what the node knows of it (waiting in the mempool and why, rejected, evicted, unknown).
 * @param {string} hash
 * @param {AbortSignal} signal
 */
async function notInBlock(hash, signal) {
  /** @type {{ status: string, reason?: string, message?: string, height?: number }} */
  const s = await call("tx_getStatus", { hash }, signal);
  const body = fields([
    ["Hash", mono(hash)],
    ["Status", s.status === "unknown" ? "unknown to this node (never seen, or forgotten)" : s.status],
    ["Reason", s.reason ?? "—"],
    ["Details", s.message ?? "—"],
    ["At block", s.height === undefined ? "—" : blockLink(s.height)],
  ]);
  return { title: "Transaction not in a block", body };
}
