// The models: a list, and one model with its lineage graph (adapter -> parent -> datanet versions), what it
// earned, and the inferences paid for it.

import { accountLink, amount, blockLink, fields, h, link, section, table } from "../dom.js";
import { lineageGraph } from "../lineage-graph.js";
import { batch, call, RpcError } from "../rpc.js";

const LIST_LIMIT = 100;

/**
 * @param {string[]} _params
 * @param {AbortSignal} signal
 */
export async function modelsPage(_params, signal) {
  /** @type {import("../types.js").Page<import("../types.js").Model>} */
  const page = await call("model_list", { limit: LIST_LIMIT }, signal);
  const body = table(
    ["ID", "Name", "Kind", "Parent", "Owner", "Price"],
    page.items.map((m) => [
      link(`/model/${m.id}`, String(m.id)),
      link(`/model/${m.id}`, m.name),
      m.kind,
      m.parentId === 0 ? "—" : link(`/model/${m.parentId}`, String(m.parentId)),
      accountLink(m.owner),
      amount(m.price),
    ]),
    { numeric: [0, 5], empty: "no models yet", label: "models" },
  );
  return { title: "Models", body };
}

/**
 * @param {string[]} params [id]
 * @param {AbortSignal} signal
 */
export async function modelPage([id], signal) {
  /** @type {import("../types.js").Model} */
  const m = await call("model_get", { id: Number(id) }, signal);
  const ancestors = m.ancestors ?? [];
  const answers = await batch(
    [
      ["attribution_getEarnings", { modelId: m.id }],
      ["attribution_listInferences", { modelId: m.id, limit: LIST_LIMIT }],
      ...ancestors.map((a) => /** @type {[string, Record<string, unknown>]} */ (["model_get", { id: a }])),
    ],
    signal,
  );
  const [earnings, inferences, ...parents] = answers;
  for (const p of parents) if (p instanceof RpcError) throw p;
  /** @type {import("../types.js").Inference[]} */
  const paid = inferences instanceof RpcError ? [] : inferences.items;
  const body = h(
    "div",
    {},
    fields([
      ["Name", m.name],
      ["Kind", m.kind],
      ["Owner", accountLink(m.owner)],
      ["Parent", m.parentId === 0 ? "—" : link(`/model/${m.parentId}`, `model ${m.parentId}`)],
      ["Base model", m.baseModel === "" ? "—" : m.baseModel],
      ["Price per inference", amount(m.price)],
      ["Retired", m.retired ? "yes" : "no"],
      ["Earned", earnings instanceof RpcError ? "—" : amount(earnings.total)],
      ["Registered at block", blockLink(m.createdHeight)],
    ]),
    section("Lineage", h("div", { class: "scroll" }, lineageGraph([m, ...parents], m.lineage ?? []))),
    section(
      "Inferences",
      table(
        ["Inference", "Payer", "Price", "Status"],
        paid.map((i) => [link(`/inference/${i.id}`, String(i.id)), accountLink(i.payer), amount(i.price), i.status]),
        { numeric: [0, 2], empty: "none yet", label: "inferences" },
      ),
    ),
  );
  return { title: `Model ${m.id}: ${m.name}`, body };
}
