/**
 * The shape of a JSON text judged from its characters, before JSON.parse builds it: how deep its arrays and
 * objects nest, how many elements a top-level array (a JSON-RPC batch) holds, and how many pieces the whole
 * has. JSON.parse's cost follows what it builds, not the bytes: 1 MiB of `[[],[],...]` is 349,000 arrays
 * (~50-130 ms of the event loop before a batch that size was refused; as many `{}` in one request's params,
 * up to ~340 ms), and 1 MB of `[[[...]]]` nests 500,000 deep (~70-220 ms).
 *
 * The scan looks at each character once, outside strings (~3 ms a MiB once optimized; the first call of a
 * process, interpreted, up to ~15 ms), skips strings with indexOf, and stops at the first bound crossed.
 */

export interface JsonShapeLimits {
  /** Most arrays and objects open at once (the outermost counts as 1). */
  maxDepth: number;
  /** Most elements of a top-level array; at least 1. */
  maxTopLevelItems: number;
  /**
   * Most pieces in all: arrays and objects, and the commas between their elements or members (so a container
   * of n counts n, an empty one 1): about the number of values JSON.parse makes, keys aside.
   */
  maxPieces: number;
}

/** Which bound was crossed: maxDepth, maxTopLevelItems or maxPieces. */
export type JsonShapeProblem = "too-deep" | "too-many-items" | "too-many-pieces";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The first bound `text` crosses, or undefined. Text that is not JSON is not judged (JSON.parse says what is
 * wrong with it): the scan gives up, undefined, where the text can no longer be JSON (a bracket closed that
 * was not open; more strings than its pieces can hold), and JSON.parse fails no later than there, having
 * built only what came before, which was within the bounds. On valid JSON the verdict is exact.
 */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): JsonShapeProblem | undefined {
  const { maxDepth, maxTopLevelItems, maxPieces } = limits;
  let depth = 0;
  let topLevelArray = false;
  let topLevelCommas = 0;
  let pieces = 0;
  let strings = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isStructural(c)) continue; // whitespace, numbers, literals: most of what is not in strings
    switch (c) {
      case QUOTE:
        // Each string is a key or a value: at most two per piece (a member's key and value), one at the top.
        // More, and this is not JSON; the bound also keeps `""""...` from costing an indexOf per two bytes.
        if (++strings > 2 * pieces + 1) return undefined;
        i = closingQuote(text, i);
        break;
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        if (depth === 0) topLevelArray = c === OPEN_ARRAY;
        if (++depth > maxDepth) return "too-deep";
        if (++pieces > maxPieces) return "too-many-pieces";
        break;
      case COMMA:
        // A non-empty array of n commas holds n + 1 elements.
        if (depth === 1 && topLevelArray && ++topLevelCommas + 1 > maxTopLevelItems) return "too-many-items";
        if (++pieces > maxPieces) return "too-many-pieces";
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        if (--depth < 0) return undefined; // a bracket closed that was not open
        break;
    }
  }
  return undefined;
}

/** Whether `c` is one of `"`, `,`, `[`, `]`, `{`, `}`: two range checks rule out nearly everything else. */
function isStructural(c: number): boolean {
  if (c < QUOTE || c > CLOSE_OBJECT) return false;
  return c === QUOTE || c === COMMA || c === OPEN_ARRAY || c === CLOSE_ARRAY || c === OPEN_OBJECT || c === CLOSE_OBJECT;
}

/**
 * Where the string opened at `open` ends (text.length if it never does). Most strings hold no escaped quote:
 * the first quote found is the end unless a backslash stands right before it; only then is the string read
 * character by character, each backslash skipping the character it escapes.
 */
function closingQuote(text: string, open: number): number {
  const quote = text.indexOf("\"", open + 1);
  if (quote === -1) return text.length;
  if (text.charCodeAt(quote - 1) !== BACKSLASH) return quote;
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}
