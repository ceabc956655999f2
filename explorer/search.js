// What a search box entry names, before asking the node: a height or id (digits), a hash (64 hex digits: a
// tx or a block), an address (opl1...), or a kind and an id ("datanet 3", "model 2", "inference 1",
// "contribution 4", "block 12"). Pure, so test/unit/explorer-search.test.ts runs it in Node.

/** @typedef {{ kind: "route", route: string } | { kind: "number", value: number } | { kind: "hash", value: string } | { kind: "none", reason: string }} SearchTarget */

const KINDS = ["block", "datanet", "contribution", "model", "inference", "tx", "account"];

/**
 * @param {string} text
 * @returns {SearchTarget}
 */
export function classify(text) {
  const q = text.trim().toLowerCase().replace(/^#/, "");
  if (q === "") return { kind: "none", reason: "type a height, a hash, an address or an id" };
  if (/^\d{1,15}$/.test(q)) return { kind: "number", value: Number(q) };
  if (/^(0x)?[0-9a-f]{64}$/.test(q)) return { kind: "hash", value: q.replace(/^0x/, "") };
  if (/^opl1[02-9ac-hj-np-z]{38,}$/.test(q)) return { kind: "route", route: `#/account/${q}` };
  const named = /^([a-z]+)\s*[#:/ ]?\s*(\d{1,15}|[0-9a-f]{64}|opl1[0-9a-z]+)$/.exec(q);
  if (named !== null && KINDS.includes(named[1])) return { kind: "route", route: `#/${named[1]}/${named[2]}` };
  return { kind: "none", reason: `"${text.trim().slice(0, 80)}" is not a height, a hash, an opl1 address or an id` };
}
