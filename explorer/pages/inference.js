// An inference's attribution trail: who paid what for which model, and, once recorded, where the price went:
// the treasury, the model's owner, and each contribution with its contributor (a whole-version weight pays
// every contribution of the version). The split is summed here, in bigint, against the price.

import { accountLink, amount, blockLink, fields, h, link, section, table } from "../dom.js";
import { formatPpm } from "../format.js";
import { call } from "../rpc.js";

/**
 * @param {string[]} params [id]
 * @param {AbortSignal} signal
 */
export async function inferencePage([id], signal) {
  /** @type {import("../types.js").Inference} */
  const inf = await call("attribution_getInference", { id: Number(id) }, signal);
  const recorded = inf.status === "recorded";
  /** @type {import("../types.js").Payouts | undefined} */
  const payouts = recorded ? await call("attribution_getPayouts", { inferenceId: inf.id }, signal) : undefined;
  const body = h(
    "div",
    {},
    fields([
      ["Model", link(`/model/${inf.modelId}`, `model ${inf.modelId}`)],
      ["Payer", accountLink(inf.payer)],
      ["Price", amount(inf.price)],
      ["Status", inf.status],
      ["Paid at block", blockLink(inf.createdHeight)],
      ["Expires at block", recorded ? "—" : blockLink(inf.expiresHeight)],
      ["Operator", recorded ? accountLink(inf.operator) : "—"],
      ["Recorded at block", recorded ? blockLink(inf.recordedHeight) : "—"],
    ]),
    section(
      "Attribution weights",
      table(
        ["Credited to", "Share"],
        inf.weights.map((w) => [
          w.contributionId !== 0
            ? link(`/contribution/${w.contributionId}`, `contribution ${w.contributionId}`)
            : link(`/datanet/${w.datanetId}`, `datanet ${w.datanetId} version ${w.version} (every contribution)`),
          formatPpm(w.ppm),
        ]),
        { numeric: [1], empty: recorded ? "none" : "not recorded yet", label: "weights" },
      ),
    ),
    section("Where the price went", payouts === undefined ? h("p", { class: "muted" }, "Nothing is paid out until the inference is recorded.") : split(payouts)),
  );
  return { title: `Inference ${inf.id}`, body };
}

/**
 * A credit that came through a whole-version weight says so (the same contribution may also have a weight of
 * its own: two lines).
 * @param {import("../types.js").Weight | undefined} w
 */
function through(w) {
  if (w === undefined || w.contributionId !== 0) return null;
  return h("span", { class: "muted" }, ` (through datanet ${w.datanetId} v${w.version})`);
}

/** @param {import("../types.js").Payouts} p */
function split(p) {
  const toContributions = p.contributions.reduce((s, c) => s + BigInt(c.amount), 0n);
  const total = BigInt(p.treasury) + BigInt(p.owner.amount) + toContributions;
  const adds = total === BigInt(p.price);
  return h(
    "div",
    {},
    table(
      ["To", "Who", "Amount"],
      [
        ["Treasury", "—", amount(p.treasury)],
        ["Model owner", accountLink(p.owner.address), amount(p.owner.amount)],
        ...p.contributions.map((c) => [
          [link(`/contribution/${c.contributionId}`, `contribution ${c.contributionId}`), through(p.weights[c.weight])],
          accountLink(c.contributor),
          amount(c.amount),
        ]),
        [h("strong", {}, "Total"), "", amount(total)],
      ],
      { numeric: [2], label: "split" },
    ),
    h(
      "p",
      { class: adds ? "verified" : "not-verified", id: "split-check" },
      adds ? "✓ The split adds up to the price." : "✗ The split does not add up to the price.",
    ),
  );
}
