import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonShapeProblem, type JsonShapeLimits } from "../../rpc/json-shape.ts";

/**
 * The scan that judges a request body's nesting, batch size and pieces before JSON.parse builds it (rpc/json-shape.ts):
 * exact on valid JSON (brackets and commas inside strings, escaped quotes and backslashes included), and it
 * stops at the first bound crossed.
 */
const LIMITS: JsonShapeLimits = { maxDepth: 4, maxTopLevelItems: 3, maxPieces: 1000 };
const judge = (text: string, limits = LIMITS) => jsonShapeProblem(text, limits);

/** The nesting depth of a parsed value: 0 for a scalar, 1 for a flat array or object. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Arrays and objects, and the commas between their elements: an empty container counts 1, one of n counts n. */
function piecesOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return Math.max(1, children.length) + children.reduce<number>((sum, c) => sum + piecesOf(c), 0);
}

/** The bounds JSON.parse's result crosses. */
function crossed(value: unknown, limits: JsonShapeLimits): string[] {
  const out: string[] = [];
  if (depthOf(value) > limits.maxDepth) out.push("too-deep");
  if (Array.isArray(value) && value.length > limits.maxTopLevelItems) out.push("too-many-items");
  if (piecesOf(value) > limits.maxPieces) out.push("too-many-pieces");
  return out;
}

describe("jsonShapeProblem", () => {
  it("counts nesting outside strings only", () => {
    expect(judge("[[[[1]]]]")).toBeUndefined(); // 4 levels: at the limit
    expect(judge("[[[[[1]]]]]")).toBe("too-deep");
    expect(judge("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}")).toBeUndefined();
    expect(judge("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}")).toBe("too-deep");
    expect(judge("[\"[[[[[[[[\", \"{{{{{{{{\"]")).toBeUndefined();
    // An escaped quote does not end a string; an escaped backslash before a quote does not escape it.
    expect(judge("[\"\\\"[[[[[[\"]")).toBeUndefined();
    expect(judge("[\"\\\\\",[[[[1]]]]]")).toBe("too-deep");
    expect(judge("[\"\\\\\\\"[[[[[\"]")).toBeUndefined();
  });

  it("counts the elements of a top-level array, not of those inside it or of an object", () => {
    expect(judge("[]")).toBeUndefined();
    expect(judge(" [ 1 , 2 , 3 ] ")).toBeUndefined();
    expect(judge("[1,2,3,4]")).toBe("too-many-items");
    expect(judge("[[1,2,3,4,5],{\"a\":1,\"b\":2,\"c\":3,\"d\":4},\"x,y,z,w\"]")).toBeUndefined();
    expect(judge("[{},[],\"\",null]")).toBe("too-many-items");
    expect(judge("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}")).toBeUndefined();
    expect(judge("\"a,b,c,d,e\"")).toBeUndefined();
  });

  it("counts the pieces of the whole: containers, and commas outside strings", () => {
    const limits = { ...LIMITS, maxPieces: 6 };
    // The outer object 1 + its comma 1, [1,2,3] 1 + 2, {} 1.
    expect(judge("{\"a\":[1,2,3],\"b\":{}}", limits)).toBeUndefined();
    expect(judge("{\"a\":[1,2,3],\"b\":{},\"c\":0}", limits)).toBe("too-many-pieces");
    expect(judge("{\"a\":\"[{,,,,,,}]\"}", limits)).toBeUndefined();
    // Inside one request's params, where no batch bound applies.
    const wideParams = `{"params":{"x":[${"{},".repeat(349_000)}{}]}}`;
    expect(judge(wideParams, { maxDepth: 64, maxTopLevelItems: 1000, maxPieces: 32_000 })).toBe("too-many-pieces");
  });

  it("stops at the first bound crossed, and leaves text that is not JSON to JSON.parse", () => {
    const limits = { maxDepth: 64, maxTopLevelItems: 1000, maxPieces: 32_000 };
    const wide = `[${"[],".repeat(349_000)}[]]`;
    expect(judge(wide, limits)).toBe("too-many-items");
    const deep = `${"[".repeat(500_000)}${"]".repeat(500_000)}`;
    expect(judge(deep, limits)).toBe("too-deep");
    expect(judge("{ not json")).toBeUndefined();
    expect(judge("[\"unterminated")).toBeUndefined();
    expect(judge("")).toBeUndefined();
    // It gives up where the text can no longer be JSON (JSON.parse fails there, having built what came before).
    expect(judge(`]${"[".repeat(100)}`)).toBeUndefined();
    expect(judge(`{"a":"b"} "c" "d" ${"[".repeat(100)}`)).toBeUndefined();
  });

  it("agrees with JSON.parse on any JSON text", () => {
    // Strings made of the characters the scan must see through: quotes, backslashes, brackets, commas.
    const tricky = fc.constantFrom("\"", "\\", "[", "]", "{", "}", ",", ":", "a", " ", "\n");
    const jsonValues = fc.oneof(fc.jsonValue({ maxDepth: 8 }), fc.jsonValue({ maxDepth: 8, stringUnit: tricky }));
    const limits = fc.record({
      maxDepth: fc.integer({ min: 1, max: 6 }),
      maxTopLevelItems: fc.integer({ min: 1, max: 6 }),
      maxPieces: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(jsonValues, limits, fc.boolean(), (value, l, pretty) => {
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        const verdict = jsonShapeProblem(text, l);
        // The scan reports the first bound it meets in the text: any of those crossed, and none if none is.
        const want = crossed(JSON.parse(text), l);
        if (want.length === 0) expect(verdict).toBeUndefined();
        else expect(want).toContain(verdict);
      }),
      { numRuns: 2000 },
    );
  });
});
