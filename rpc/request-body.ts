import { INVALID_REQUEST, PARSE_ERROR } from "./errors.ts";
import { type JsonShapeLimits, type JsonShapeProblem, jsonShapeProblem } from "./json-shape.ts";

/**
 * Deepest nesting of arrays and objects a request body may have. The deepest request the methods take is 5
 * levels (a batch, a request, its params, state_getProof's key, a stake key in it); a body past this is
 * refused before JSON.parse builds it.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON pieces (arrays, objects, and the commas between their elements: rpc/json-shape.ts) a body may hold per
 * request of a full batch. The fullest request today (tx_search with every param) has 16; a body of more than
 * max_batch times this is refused before JSON.parse builds it. Within 32,000 pieces (the default max_batch)
 * JSON.parse took at most ~10-20 ms (16,000 distinct keys in one object), the order of a batch of 1000 tx_submit
 * (4-12 ms); 1 MiB of `{},{},...` in one request's params had taken up to ~340 ms.
 */
export const JSON_PIECES_PER_REQUEST = 32;

/** A request body read: its JSON value, or the error (id null: no request was read) to answer instead. */
export type BodyRead = { value: unknown; refused?: undefined } | { refused: { code: number; message: string } };

/**
 * Reads JSON-RPC request bodies (HTTP bodies and WebSocket messages alike): not JSON, nested deeper than
 * MAX_JSON_DEPTH, a batch of more than rpc.max_batch, or more than JSON_PIECES_PER_REQUEST pieces per request
 * of such a batch is refused. The bounds are checked on the text before JSON.parse, whose cost follows what it
 * builds: 1 MiB of `[[],[],...]` is 349,000 arrays, `[[[...]]]` 500,000 levels.
 */
export class RequestBodyReader {
  private readonly maxBatch: number;
  private readonly limits: JsonShapeLimits;

  /** `maxBatch`: rpc.max_batch. */
  constructor(maxBatch: number) {
    this.maxBatch = maxBatch;
    const maxPieces = maxBatch * JSON_PIECES_PER_REQUEST;
    this.limits = { maxDepth: MAX_JSON_DEPTH, maxTopLevelItems: maxBatch, maxPieces };
  }

  read(body: string): BodyRead {
    const problem = jsonShapeProblem(body, this.limits);
    if (problem !== undefined) return { refused: { code: INVALID_REQUEST, message: this.shapeRefusal(problem) } };
    try {
      return { value: JSON.parse(body) };
    } catch (err) {
      return { refused: { code: PARSE_ERROR, message: `Parse error: ${(err as Error).message}` } };
    }
  }

  /** The message for a batch over rpc.max_batch; `size` is its length, or a bound it is over. */
  batchTooLarge(size: number | string): string {
    return `Invalid Request: batch of ${size} exceeds the limit of ${this.maxBatch} (rpc.max_batch)`;
  }

  /** The message for a body whose shape crossed one of the limits. */
  private shapeRefusal(problem: JsonShapeProblem): string {
    if (problem === "too-many-items") return this.batchTooLarge(`more than ${this.maxBatch}`);
    return problem === "too-deep"
      ? `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels (no request needs more than a few)`
      : `Invalid Request: JSON of more than ${this.limits.maxPieces} arrays, objects and elements ` +
        `(${JSON_PIECES_PER_REQUEST} per request of a batch of rpc.max_batch; no request needs more than a few dozen)`;
  }
}
