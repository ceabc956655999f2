// The node's own JSON-RPC, from the page: POST / on the origin that served it (no CORS needed), and the
// WebSocket at /ws for live blocks. Errors come back as RpcError with the node's message, for the page to show.

export class RpcError extends Error {
  /**
   * @param {number} code
   * @param {string} message
   * @param {unknown} [data]
   */
  constructor(code, message, data) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }
}

/** JSON-RPC's "not found" answers: NOT_FOUND (1016, 2004), BLOCK_NOT_FOUND (2001), TX_NOT_FOUND (2002). */
export const NOT_FOUND_CODES = [1016, 2001, 2002, 2004];

/** @param {unknown} err */
export function isNotFound(err) {
  return err instanceof RpcError && NOT_FOUND_CODES.includes(err.code);
}

let nextId = 1;

/**
 * @typedef {{ jsonrpc: "2.0", id: number, result?: unknown, error?: { code: number, message: string, data?: unknown } }} RpcAnswer
 */

/**
 * @param {unknown} body
 * @param {AbortSignal} [signal]
 * @returns {Promise<unknown>}
 */
async function post(body, signal) {
  const res = await fetch("/", {
    method: "POST",
    headers: { "content-type": "application/json", "accept": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw new RpcError(-32000, `the node answered HTTP ${res.status}`);
  return res.json();
}

/** @param {RpcAnswer} answer */
function resultOf(answer) {
  if (answer.error !== undefined) throw new RpcError(answer.error.code, answer.error.message, answer.error.data);
  return answer.result;
}

/**
 * One call; resolves with its result (the caller names its type: README's method tables give it).
 * @param {string} method
 * @param {Record<string, unknown>} [params]
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function call(method, params = {}, signal) {
  return resultOf(/** @type {RpcAnswer} */ (await post({ jsonrpc: "2.0", id: nextId++, method, params }, signal)));
}

/**
 * Several calls in one request (a batch); each answer is its result or its RpcError, in order.
 * @param {[string, Record<string, unknown>][]} calls
 * @param {AbortSignal} [signal]
 * @returns {Promise<any[]>}
 */
export async function batch(calls, signal) {
  if (calls.length === 0) return [];
  const first = nextId;
  nextId += calls.length;
  const answers = /** @type {RpcAnswer[]} */ (
    await post(calls.map(([method, params], i) => ({ jsonrpc: "2.0", id: first + i, method, params })), signal)
  );
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((_, i) => {
    const answer = byId.get(first + i);
    if (answer === undefined) return new RpcError(-32603, "the node left a call of the batch unanswered");
    try {
      return resultOf(answer);
    } catch (err) {
      return err;
    }
  });
}

/**
 * Every committed block from `fromHeight` on, over /ws (topic "blocks"): the node replays those committed
 * since (the page read the chain before it subscribed), then goes on live; after a drop it resumes from the
 * last block's cursor, so none is missed or shown twice. Stops when `signal` aborts (the page was left).
 * @param {number} fromHeight
 * @param {(block: import("./types.js").BlockNotice) => void} onBlock
 * @param {(state: "live" | "reconnecting") => void} onState
 * @param {AbortSignal} signal
 */
export function subscribeBlocks(fromHeight, onBlock, onState, signal) {
  /** @type {string | undefined} */
  let cursor;
  /** @type {WebSocket | undefined} */
  let ws;
  const open = () => {
    if (signal.aborted) return;
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    const socket = ws;
    socket.addEventListener("open", () => {
      const params = cursor === undefined ? { topic: "blocks", fromHeight } : { topic: "blocks", cursor };
      socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params }));
    });
    socket.addEventListener("message", (e) => {
      const msg = JSON.parse(String(e.data));
      if (msg.id === 1 && msg.result !== undefined) onState("live");
      if (msg.method !== "subscription") return;
      const block = msg.params.result;
      cursor = block.cursor;
      onBlock(block);
    });
    socket.addEventListener("close", () => {
      if (signal.aborted) return;
      onState("reconnecting");
      setTimeout(open, 2000);
    });
  };
  signal.addEventListener("abort", () => ws?.close(1000, "page left"));
  open();
}
