// A contribution: its record, its membership proof in a datanet version HASHED HERE (the leaf is the
// contribution's content hash, the root and count the version's, each fetched on its own; the node's word on
// the proof counts for nothing), and the reverse of attribution: what it earned and the inferences that paid it.
// What this shows is that the proof links the contribution to the version root THIS NODE reports: leaf, root
// and count all come from the same node, and the root is not checked against a signed header (a node that lies
// about all three consistently is not caught here; the light client checks roots against signed headers).

import { accountLink, amount, blockLink, fields, h, link, mono, section, table } from "../dom.js";
import { checkMembership } from "../merkle.js";
import { batch, call, RpcError } from "../rpc.js";
import { statusText, versionsOf } from "./datanets.js";

/** Inferences listed. */
const INFERENCE_LIMIT = 100;

/**
 * @param {string[]} params [id, version?]
 * @param {AbortSignal} signal
 */
export async function contributionPage([id, versionParam], signal) {
  const contributionId = Number(id);
  /** @type {import("../types.js").Contribution} */
  const c = await call("datanet_getContribution", { id: contributionId }, signal);
  const [datanet, earnings, inferences] = await batch(
    [
      ["datanet_get", { id: c.datanetId }],
      ["attribution_getEarnings", { contributionId }],
      ["attribution_listInferences", { contributionId, limit: INFERENCE_LIMIT }],
    ],
    signal,
  );
  if (datanet instanceof RpcError) throw datanet;
  /** @type {import("../types.js").Inference[]} */
  const paidBy = inferences instanceof RpcError ? [] : inferences.items;
  const payouts = await batch(paidBy.map((i) => ["attribution_getPayouts", { inferenceId: i.id }]), signal);

  const body = h(
    "div",
    {},
    fields([
      ["Datanet", link(`/datanet/${c.datanetId}`, `${c.datanetId}: ${datanet.name}`)],
      ["Contributor", accountLink(c.contributor)],
      ["Status", statusText(c.status)],
      ["Position", c.status === "accepted" ? String(c.acceptIndex) : "—"],
      ["Content hash", mono(c.contentHash)],
      ["URI", c.uri],
      ["Size", `${c.sizeBytes} bytes`],
      ["Stake", amount(c.staked)],
      ["Contributed at block", blockLink(c.createdHeight)],
      ["Reviewed at block", c.reviewedHeight > 0 ? blockLink(c.reviewedHeight) : "—"],
      ["Earned", earnings instanceof RpcError ? "—" : amount(earnings.total)],
    ]),
    section("Membership proof", await proofSection(c, datanet, versionParam, signal)),
    section(
      "Inferences that paid it",
      table(
        ["Inference", "Model", "Payer", "Paid to this contribution", "Recorded at block"],
        paidBy.map((inf, i) => [
          link(`/inference/${inf.id}`, String(inf.id)),
          link(`/model/${inf.modelId}`, String(inf.modelId)),
          accountLink(inf.payer),
          creditedTo(payouts[i], contributionId),
          blockLink(inf.recordedHeight),
        ]),
        { numeric: [0, 1, 3], empty: "none yet", label: "inferences" },
      ),
    ),
  );
  return { title: `Contribution ${c.id}`, body };
}

/**
 * What one inference's payouts credited to the contribution (a whole-version weight credits each of its
 * contributions apart from a direct weight: they add up).
 * @param {unknown} answer attribution_getPayouts' answer or its error
 * @param {number} contributionId
 */
function creditedTo(answer, contributionId) {
  if (answer instanceof RpcError) return "—";
  const p = /** @type {import("../types.js").Payouts} */ (answer);
  const mine = p.contributions.filter((x) => x.contributionId === contributionId);
  return amount(mine.reduce((sum, x) => sum + BigInt(x.amount), 0n));
}

/**
 * The proof against one version that holds the contribution (the one asked for, else the newest), hashed
 * in the browser up to the root the node reports for that version, with links to the other versions that hold it.
 * @param {import("../types.js").Contribution} c
 * @param {import("../types.js").Datanet} datanet
 * @param {string | undefined} versionParam
 * @param {AbortSignal} signal
 */
async function proofSection(c, datanet, versionParam, signal) {
  if (c.status !== "accepted") return h("p", { class: "muted" }, `Only accepted contributions are in versions; this one is ${c.status}.`);
  const holding = (await versionsOf(datanet, signal)).filter((v) => v.count > c.acceptIndex);
  if (holding.length === 0) return h("p", { class: "muted" }, "No version published since it was accepted.");
  const version = holding.find((v) => String(v.version) === versionParam) ?? holding[0];
  /** @type {import("../types.js").MembershipProof} */
  const proof = await call("datanet_proveMembership", { datanetId: c.datanetId, version: version.version, contributionId: c.id }, signal);
  const check = await checkMembership({
    leaf: c.contentHash, // the contribution's record, not the proof's answer
    index: c.acceptIndex,
    count: version.count, // the version's record
    proof: proof.proof,
    root: version.root,
  });
  const verdict = check.ok
    ? h("p", { class: "verified", id: "proof-verdict" }, "✓ Linked to the version root this node reports: ", check.reason, " (hashed in this browser; the root is not checked against a signed header)")
    : h("p", { class: "not-verified", id: "proof-verdict" }, "✗ NOT linked to the version root this node reports: ", check.reason);
  return h(
    "div",
    { class: "proof" },
    verdict,
    fields([
      ["Version", link(`/datanet/${c.datanetId}`, `${c.datanetId} v${version.version}`)],
      ["Version root", mono(version.root)],
      ["Contributions in it", String(version.count)],
      ["Leaf (content hash)", mono(c.contentHash)],
      ["Position", String(c.acceptIndex)],
      ["Siblings, bottom first", proof.proof.length === 0 ? "none" : h("ol", { class: "events" }, proof.proof.map((s) => h("li", {}, mono(s))))],
    ]),
    holding.length > 1
      ? h("p", {}, "Also in: ", holding.filter((v) => v !== version).map((v, i) => [i > 0 ? ", " : "", link(`/contribution/${c.id}/version/${v.version}`, `v${v.version}`)]).flat())
      : null,
    h("p", { class: "muted" }, "Hashed here with SHA-256 (WebCrypto): inner node = SHA-256(0x01 ‖ left ‖ right), an odd last node carried up (docs/SPEC.md). The root and the leaf are read from the version's and the contribution's records, not from the proof's answer, but all from this node: the root is not checked against a signed header."),
  );
}
