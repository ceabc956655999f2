// Checks a datanet membership proof in the browser, trusting nothing the node says about it: the leaf is the
// contribution's content hash, inner nodes are SHA-256(0x01 || left || right), a level's odd last node is
// carried up unchanged (no sibling then), siblings come bottom first (docs/SPEC.md DATANET-ROOT and
// DATANET-PROOF; crypto/merkle.ts verifyMerkleProof is the node's side). Hashing is WebCrypto's SHA-256, so
// it runs in any browser and in Node (test/unit/explorer-merkle.test.ts).

/**
 * Lowercase hex of 32 bytes to bytes, or undefined for anything else.
 * @param {string} hex
 * @returns {Uint8Array | undefined}
 */
export function hash32(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * @param {Uint8Array} left
 * @param {Uint8Array} right
 * @returns {Promise<Uint8Array>}
 */
async function innerHash(left, right) {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether `leaf` is leaf `index` of a tree of `count` leaves with root `root`, by `proof`; `reason` says what
 * failed, for the page.
 * @param {{ leaf: string, index: number, count: number, proof: string[], root: string }} p
 * @returns {Promise<{ ok: boolean, reason: string }>}
 */
export async function checkMembership(p) {
  const { index, count } = p;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) {
    return { ok: false, reason: `position ${index} is outside a version of ${count} contributions` };
  }
  const leaf = hash32(p.leaf);
  const root = hash32(p.root);
  const siblings = p.proof.map(hash32);
  if (leaf === undefined || root === undefined) return { ok: false, reason: "a hash is not 32 bytes of hex" };
  /** @type {Uint8Array[]} */
  const proof = [];
  for (const s of siblings) {
    if (s === undefined) return { ok: false, reason: "a sibling is not 32 bytes of hex" };
    proof.push(s);
  }
  let node = leaf;
  let used = 0;
  for (let i = index, n = count; n > 1; i = Math.floor(i / 2), n = Math.ceil(n / 2)) {
    const hasSibling = i % 2 === 1 || i + 1 < n;
    if (!hasSibling) continue; // the odd last node, carried up
    const sibling = proof[used++];
    if (sibling === undefined) return { ok: false, reason: `the proof has ${proof.length} siblings; more are needed` };
    node = i % 2 === 1 ? await innerHash(sibling, node) : await innerHash(node, sibling);
  }
  if (used !== proof.length) return { ok: false, reason: `the proof has ${proof.length} siblings; ${used} are used` };
  if (!equal(node, root)) return { ok: false, reason: "the proof leads to another root than the version's" };
  return { ok: true, reason: `SHA-256 of ${used} sibling${used === 1 ? "" : "s"} leads to the version's root` };
}
