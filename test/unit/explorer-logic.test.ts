import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import { merkleProof, merkleRootOfHashes } from "../../crypto/merkle.ts";
import { formatOpen as cliFormatOpen } from "../../state/units.ts";
import { formatOpen, formatPpm, formatSeconds, formatTime } from "../../explorer/format.js";
import { checkMembership } from "../../explorer/merkle.js";
import { classify } from "../../explorer/search.js";
import { BLOCK_TX_PAGE } from "../../explorer/pages/block.js";
import { MAX_BLOCK_TX_PAGE } from "../../rpc/block-tx-page.ts";

/**
 * The explorer's pure parts, run in Node (the same files the browser loads): amounts in OPEN exactly as the
 * CLI writes them, the membership proof check against the node's own Merkle code (crypto/merkle.ts, the
 * tree docs/SPEC.md states), and what a search names.
 */
describe("explorer/format.js", () => {
  it("writes base units as OPEN exactly as the CLI does (state/units.ts), never through a float", () => {
    expect(formatOpen("0")).toBe("0 OPEN");
    expect(formatOpen("1")).toBe("0.000000000000000001 OPEN");
    expect(formatOpen("2500000000000000000")).toBe("2.5 OPEN");
    expect(formatOpen("100000000000000000000")).toBe("100 OPEN");
    // 2^64 + 1 base units: a float would round the last digit away.
    expect(formatOpen("18446744073709551617")).toBe("18.446744073709551617 OPEN");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), (n) => formatOpen(String(n)) === `${cliFormatOpen(n)} OPEN`),
    );
  });

  it("writes a time in the viewer's zone with its offset, and other small quantities exactly", () => {
    const shown = formatTime("2026-12-05T09:06:30.303Z");
    expect(shown).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d$/);
    // Read back, the text names the same second.
    const m = /^(.+) (.+) UTC([+-])(\d\d):(\d\d)$/.exec(shown) as RegExpExecArray;
    const offsetMs = (m[3] === "-" ? -1 : 1) * (Number(m[4]) * 60 + Number(m[5])) * 60_000;
    expect(Date.parse(`${m[1]}T${m[2]}Z`) - offsetMs).toBe(Date.parse("2026-12-05T09:06:30.000Z"));
    expect(formatSeconds(286)).toBe("0.286 s");
    expect(formatSeconds(1000)).toBe("1 s");
    expect(formatSeconds(1500)).toBe("1.5 s");
    expect(formatPpm(500_000)).toBe("50%");
    expect(formatPpm(333_333)).toBe("33.3333%");
    expect(formatPpm(1)).toBe("0.0001%");
  });
});

describe("explorer/merkle.js", () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => sha256(new TextEncoder().encode(`leaf ${i}`)));

  it("accepts the node's proof of every leaf of trees of 1 to 17 leaves (odd nodes carried up)", async () => {
    for (let count = 1; count <= 17; count++) {
      const ls = leaves(count);
      const root = toHex(merkleRootOfHashes(ls));
      for (let index = 0; index < count; index++) {
        const proof = merkleProof(ls, index).map(toHex);
        const check = await checkMembership({ leaf: toHex(ls[index]), index, count, proof, root });
        expect(check, `${index} of ${count}`).toMatchObject({ ok: true });
      }
    }
  });

  it("refuses a changed sibling, leaf, position, count or root, and a proof too long or too short", async () => {
    const ls = leaves(5);
    const root = toHex(merkleRootOfHashes(ls));
    const good = { leaf: toHex(ls[2]), index: 2, count: 5, proof: merkleProof(ls, 2).map(toHex), root };
    expect((await checkMembership(good)).ok).toBe(true);
    const flip = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
    const bad = [
      { ...good, proof: [flip(good.proof[0]), ...good.proof.slice(1)] },
      { ...good, leaf: toHex(ls[3]) },
      { ...good, index: 3 },
      { ...good, count: 4 }, // a count that changes the path (6 would not: the same siblings, the same root)
      { ...good, count: 2 },
      { ...good, root: flip(root) },
      { ...good, proof: [...good.proof, good.proof[0]] },
      { ...good, proof: good.proof.slice(1) },
      { ...good, proof: [good.proof[0].toUpperCase(), ...good.proof.slice(1)] },
      { ...good, index: -1 },
    ];
    for (const p of bad) expect((await checkMembership(p)).ok, JSON.stringify(p)).toBe(false);
  });
});

describe("explorer/search.js", () => {
  it("names a height or id, a hash, an address, or a kind and an id", () => {
    expect(classify(" 42 ")).toEqual({ kind: "number", value: 42 });
    const hash = "ab".repeat(32);
    expect(classify(hash.toUpperCase())).toEqual({ kind: "hash", value: hash });
    expect(classify(`0x${hash}`)).toEqual({ kind: "hash", value: hash });
    const address = "opl1anlpy0chql2shjddftm3pv05qnhxhe6pamy7ze";
    expect(classify(address)).toEqual({ kind: "route", route: `#/account/${address}` });
    expect(classify("Datanet 3")).toEqual({ kind: "route", route: "#/datanet/3" });
    expect(classify("model #2")).toEqual({ kind: "route", route: "#/model/2" });
    expect(classify("inference:1")).toEqual({ kind: "route", route: "#/inference/1" });
    expect(classify("block 12")).toEqual({ kind: "route", route: "#/block/12" });
    expect(classify("")).toMatchObject({ kind: "none" });
    expect(classify("wallet 3")).toMatchObject({ kind: "none" });
    expect(classify("<script>")).toMatchObject({ kind: "none" });
  });
});

describe("explorer/pages/block.js", () => {
  it("asks for a page of a block's txs the node serves (chain_getBlock's txLimit maximum)", () => {
    expect(BLOCK_TX_PAGE).toBeGreaterThan(0);
    expect(BLOCK_TX_PAGE).toBeLessThanOrEqual(MAX_BLOCK_TX_PAGE);
  });
});
