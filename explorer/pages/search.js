// What a search names, asked of the node: a number may be a height and the id of a datanet, contribution,
// model or inference (all are listed, each a link); a hash is a tx's or a block's (the page it names opens).

import { h, link } from "../dom.js";
import { batch, isNotFound } from "../rpc.js";

/**
 * @param {string[]} params [text]
 * @param {AbortSignal} signal
 */
export async function searchPage([text], signal) {
  if (/^[0-9a-f]{64}$/.test(text)) {
    const [tx, block] = await batch([["tx_get", { hash: text }], ["chain_getBlock", { hash: text, txs: "none" }]], signal);
    failIfBroken([tx, block]);
    if (!isNotFound(tx)) return redirect(`/tx/${text}`);
    if (!isNotFound(block)) return redirect(`/block/${text}`);
    return { title: "Search", body: h("p", {}, `No transaction or block has the hash ${text}.`) };
  }
  const n = Number(text);
  const kinds = /** @type {const} */ ([
    ["block", "chain_getBlock", { height: n, txs: "none" }], // whether it exists: no txs needed
    ["datanet", "datanet_get", { id: n }],
    ["contribution", "datanet_getContribution", { id: n }],
    ["model", "model_get", { id: n }],
    ["inference", "attribution_getInference", { id: n }],
  ]);
  const answers = await batch(kinds.map(([, method, params]) => [method, params]), signal);
  failIfBroken(answers);
  const found = kinds.filter((_, i) => !isNotFound(answers[i]));
  if (found.length === 0) return { title: "Search", body: h("p", {}, `Nothing has the height or id ${n}.`) };
  const body = h(
    "div",
    {},
    h("p", {}, `${n} names:`),
    h("ul", {}, found.map(([kind]) => h("li", {}, link(`/${kind}/${n}`, `${kind} ${n}`)))),
  );
  return { title: `Search: ${n}`, body };
}

/**
 * An answer that is an error other than "not found" is the node's trouble, not a miss: say it.
 * @param {unknown[]} answers
 */
function failIfBroken(answers) {
  for (const a of answers) if (a instanceof Error && !isNotFound(a)) throw a;
}

/**
 * Replaces the search in the history with the page found (Back goes to where the search was made).
 * @param {string} route
 */
function redirect(route) {
  location.replace(`#${route}`);
  return { title: "Search", body: h("p", {}, "Opening ", link(route, route), "…") };
}
