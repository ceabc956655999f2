// Small DOM builders. Everything the node sends becomes text nodes or attribute values, never HTML: a name or
// a URI in a record cannot inject markup (and the CSP allows no inline script anyway).

import { formatOpen, formatTime, shortHash } from "./format.js";

/** @typedef {Node | string | number | null | undefined | false | ChildList} Child (nested lists are flattened) */
/** @typedef {Array<Child>} ChildList */

/**
 * h("a", { href: "#/block/3" }, "block 3")
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Child[]} children
 */
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(typeof c === "number" ? String(c) : c);
  }
}

/**
 * A link to a page of the explorer.
 * @param {string} route e.g. "/block/3"
 * @param {Child} text
 * @param {string} [title]
 */
export function link(route, text, title) {
  return h("a", title === undefined ? { href: `#${route}` } : { href: `#${route}`, title }, text);
}

/** @param {string} address */
export const accountLink = (address) => link(`/account/${address}`, h("span", { class: "mono" }, address), address);

/** @param {number} height */
export const blockLink = (height) => link(`/block/${height}`, String(height));

/**
 * @param {string} hash
 * @param {boolean} [short]
 */
export const txLink = (hash, short = true) => link(`/tx/${hash}`, h("span", { class: "mono" }, short ? shortHash(hash) : hash), hash);

/** @param {string | bigint} base */
export const amount = (base) => h("span", { class: "amount", title: `${base} base units` }, formatOpen(base));

/** @param {string} iso */
export const time = (iso) => h("time", { datetime: iso }, formatTime(iso));

/** @param {string} hex */
export const mono = (hex) => h("span", { class: "mono" }, hex);

/**
 * A definition list: label, value.
 * @param {[string, Child][]} rows
 */
export function fields(rows) {
  return h("dl", { class: "fields" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/**
 * A table in a box of its own that scrolls sideways when it is wider than the screen.
 * @param {string[]} headers
 * @param {Child[][]} rows
 * @param {{ numeric?: number[], empty?: string, label?: string }} [opts] numeric: right-aligned columns
 */
export function table(headers, rows, opts = {}) {
  if (rows.length === 0) return h("p", { class: "muted" }, opts.empty ?? "none");
  const num = new Set(opts.numeric ?? []);
  /** @type {(i: number) => Record<string, string>} */
  const cls = (i) => (num.has(i) ? { class: "num" } : {});
  const t = h(
    "table",
    opts.label === undefined ? {} : { "aria-label": opts.label },
    h("thead", {}, h("tr", {}, headers.map((x, i) => h("th", cls(i), x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", cls(i), c))))),
  );
  return h("div", { class: "scroll" }, t);
}

/**
 * @param {string} title
 * @param {...Child} children
 */
export const section = (title, ...children) => h("section", {}, h("h2", {}, title), ...children);

/**
 * A tx's or a block's events, each with its attributes; amounts shown in OPEN, ids and addresses linked.
 * @param {import("./types.js").Event[]} events
 */
export function eventList(events) {
  if (events.length === 0) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "events" },
    events.map((e) =>
      h("li", {}, h("strong", {}, e.type), " ", Object.entries(e.attributes).map(([k, v], i) => [i > 0 ? ", " : "", `${k}: `, attributeValue(e.type, k, v)])),
    ),
  );
}

const AMOUNT_KEYS = new Set(["amount", "price", "treasury", "owner", "contributors", "stake", "fee", "refund", "reward", "value", "slashed", "tokens"]);
/** Event attributes that name a record: the page it has. */
const ID_PAGES = /** @type {Record<string, string>} */ ({ datanet: "datanet", model: "model", inference: "inference", contribution: "contribution" });
/** The record an event's own "id" attribute names, by event type. */
const ID_OF_EVENT = /** @type {Record<string, string>} */ ({
  create_datanet: "datanet",
  contribute: "contribution",
  review_contribution: "contribution",
  register_model: "model",
  pay_inference: "inference",
  record_inference: "inference",
});

/**
 * @param {string} type
 * @param {string} key
 * @param {string} value
 * @returns {Child}
 */
function attributeValue(type, key, value) {
  if (value.startsWith("opl1")) return accountLink(value);
  if (/^\d+$/.test(value)) {
    if (AMOUNT_KEYS.has(key)) return amount(value);
    const page = key === "id" ? ID_OF_EVENT[type] : ID_PAGES[key];
    if (page !== undefined) return link(`/${page}/${value}`, value);
    if (key === "height") return blockLink(Number(value));
  }
  if (/^[0-9a-f]{64}$/.test(value)) return mono(shortHash(value));
  return value;
}
