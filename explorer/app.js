// The explorer's entry point: routes the URL's hash (#/block/12) to a page, runs the search box, and shows a
// page's failure (the node's error message) in the page rather than in the console.

import { h } from "./dom.js";
import { accountPage } from "./pages/account.js";
import { blockPage } from "./pages/block.js";
import { chainPage } from "./pages/chain.js";
import { contributionPage } from "./pages/contribution.js";
import { datanetPage, datanetsPage } from "./pages/datanets.js";
import { inferencePage } from "./pages/inference.js";
import { modelPage, modelsPage } from "./pages/models.js";
import { searchPage } from "./pages/search.js";
import { txPage } from "./pages/tx.js";
import { RpcError } from "./rpc.js";
import { classify } from "./search.js";

/** @typedef {(params: string[], signal: AbortSignal) => Promise<{ title: string, body: Node }>} Page */

/** @type {[RegExp, Page][]} */
const ROUTES = [
  [/^\/?$/, chainPage],
  [/^\/block\/(\d{1,15}|[0-9a-f]{64})(?:\/txs\/(\d{1,9}))?$/, blockPage],
  [/^\/tx\/([0-9a-f]{64})$/, txPage],
  [/^\/account\/(opl1[0-9a-z]{6,90})$/, accountPage],
  [/^\/datanets$/, datanetsPage],
  [/^\/datanet\/(\d{1,15})$/, datanetPage],
  [/^\/contribution\/(\d{1,15})(?:\/version\/(\d{1,15}))?$/, contributionPage],
  [/^\/models$/, modelsPage],
  [/^\/model\/(\d{1,15})$/, modelPage],
  [/^\/inference\/(\d{1,15})$/, inferencePage],
  [/^\/search\/(\d{1,15}|[0-9a-f]{64})$/, searchPage],
];

const view = /** @type {HTMLElement} */ (document.getElementById("view"));
/** Aborted when the page is left: its requests and its live subscription stop. */
let leaving = new AbortController();

async function show() {
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  const path = location.hash.replace(/^#/, "");
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  const route = ROUTES.find(([re]) => re.test(path));
  try {
    if (route === undefined) throw new Error(`There is no page at ${path.slice(0, 100)}.`);
    const [re, page] = route;
    const params = /** @type {RegExpExecArray} */ (re.exec(path)).slice(1);
    const { title, body } = await page(params, signal);
    if (signal.aborted) return;
    document.title = `${title} · OPEN explorer`;
    view.replaceChildren(h("h1", {}, title), body);
  } catch (err) {
    if (signal.aborted) return; // left for another page: its fetches were cancelled
    document.title = "Not found · OPEN explorer";
    const message = err instanceof RpcError ? `The node says: ${err.message}` : err instanceof Error ? err.message : String(err);
    view.replaceChildren(h("h1", {}, "Nothing to show"), h("p", { class: "error", role: "alert" }, message));
  }
}

const form = /** @type {HTMLFormElement} */ (document.getElementById("search"));
const input = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
form.addEventListener("submit", (e) => {
  e.preventDefault();
  const target = classify(input.value);
  if (target.kind === "none") {
    leaving.abort();
    view.replaceChildren(h("h1", {}, "Search"), h("p", { class: "error", role: "alert" }, target.reason));
    return;
  }
  location.hash = target.kind === "route" ? target.route : `#/search/${target.value}`;
});

window.addEventListener("hashchange", () => void show());
void show();
