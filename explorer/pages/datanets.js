// The datanets: a list, and one datanet with its versions (roots) and its contributions (status).

import { accountLink, amount, blockLink, fields, h, link, mono, section, table } from "../dom.js";
import { shortHash } from "../format.js";
import { batch, call, RpcError } from "../rpc.js";

/** Versions and contributions shown on a datanet's page (the newest versions, the first contributions). */
const LIST_LIMIT = 100;

/**
 * @param {string[]} _params
 * @param {AbortSignal} signal
 */
export async function datanetsPage(_params, signal) {
  /** @type {import("../types.js").Page<import("../types.js").Datanet>} */
  const page = await call("datanet_list", { limit: LIST_LIMIT }, signal);
  const body = table(
    ["ID", "Name", "Owner", "Contributions", "Accepted", "Versions"],
    page.items.map((d) => [link(`/datanet/${d.id}`, String(d.id)), link(`/datanet/${d.id}`, d.name), accountLink(d.owner), String(d.contributionCount), String(d.acceptedCount), String(d.versionCount)]),
    { numeric: [0, 3, 4, 5], empty: "no datanets yet", label: "datanets" },
  );
  return { title: "Datanets", body };
}

/**
 * The datanet's versions, newest first (at most LIST_LIMIT).
 * @param {import("../types.js").Datanet} d
 * @param {AbortSignal} signal
 * @returns {Promise<import("../types.js").DatanetVersion[]>}
 */
export async function versionsOf(d, signal) {
  const numbers = [];
  for (let v = d.versionCount; v >= 1 && numbers.length < LIST_LIMIT; v--) numbers.push(v);
  const answers = await batch(numbers.map((version) => ["datanet_getVersion", { datanetId: d.id, version }]), signal);
  for (const a of answers) if (a instanceof RpcError) throw a;
  return answers;
}

/**
 * @param {string[]} params [id]
 * @param {AbortSignal} signal
 */
export async function datanetPage([id], signal) {
  const [datanet, contributions, earnings] = await batch(
    [
      ["datanet_get", { id: Number(id) }],
      ["datanet_getContributions", { datanetId: Number(id), limit: LIST_LIMIT }],
      ["attribution_getEarnings", { datanetId: Number(id) }],
    ],
    signal,
  );
  if (datanet instanceof RpcError) throw datanet;
  /** @type {import("../types.js").Datanet} */
  const d = datanet;
  const versions = await versionsOf(d, signal);
  /** @type {import("../types.js").Contribution[]} */
  const items = contributions instanceof RpcError ? [] : contributions.items;
  const body = h(
    "div",
    {},
    fields([
      ["Name", d.name],
      ["Owner", accountLink(d.owner)],
      ["Description", d.description === "" ? h("span", { class: "muted" }, "(none)") : d.description],
      ["License", d.license],
      ["Contribution stake", amount(d.contributionStake)],
      ["Review fee", amount(d.reviewFee)],
      ["Contributions", `${d.contributionCount} (${d.acceptedCount} accepted)`],
      ["Earned", earnings instanceof RpcError ? "—" : amount(earnings.total)],
      ["Created at block", blockLink(d.createdHeight)],
    ]),
    section(
      "Versions",
      table(
        ["Version", "Contributions", "Root", "Published at block"],
        versions.map((v) => [String(v.version), String(v.count), mono(v.root), blockLink(v.height)]),
        { numeric: [0, 1], empty: "no version published yet", label: "versions" },
      ),
    ),
    section(
      `Contributions${d.contributionCount > items.length ? ` (the first ${items.length})` : ""}`,
      table(
        ["ID", "Contributor", "Status", "Position", "Stake", "Content hash"],
        items.map((c) => [
          link(`/contribution/${c.id}`, String(c.id)),
          accountLink(c.contributor),
          statusText(c.status),
          c.status === "accepted" ? String(c.acceptIndex) : "—",
          amount(c.staked),
          mono(shortHash(c.contentHash)),
        ]),
        { numeric: [0, 3, 4], empty: "no contributions yet", label: "contributions" },
      ),
    ),
  );
  return { title: `Datanet ${d.id}: ${d.name}`, body };
}

/** @param {string} status */
export function statusText(status) {
  const cls = status === "accepted" ? "status-ok" : status === "rejected" ? "status-bad" : "muted";
  return h("span", { class: cls }, status);
}
