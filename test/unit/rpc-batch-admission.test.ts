import pino from "pino";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import type { RpcContext } from "../../rpc/context.ts";
import { BATCH_CONCURRENCY, Dispatcher } from "../../rpc/dispatch.ts";
import { method, type RpcMethod } from "../../rpc/method.ts";
import { txMethods } from "../../rpc/methods/tx.ts";
import { collectGarbage } from "../helpers/gc.ts";

/**
 * A batch of tx_submit calls: every call's signature check is waited for at once (the mempool's admission
 * queue bounds them, refusing MEMPOOL_FULL beyond its work), so a batch of transfers is answered after one
 * round of checks, not one round per 32 calls. Other calls of a batch still run BATCH_CONCURRENCY at a time.
 */
const BATCH = 256;

/** Something the calls wait on until `open()`: counts how many wait at once. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const g = {
    waiting: 0,
    most: 0,
    open,
    async pass() {
      g.waiting++;
      g.most = Math.max(g.most, g.waiting);
      await opened;
      g.waiting--;
    },
  };
  return g;
}

function dispatcher(methods: readonly RpcMethod[], context: object) {
  return new Dispatcher({
    methods: methods as RpcMethod[],
    context: context as Omit<RpcContext, "request">,
    maxBatch: 1000,
    maxResponseBytes: 1 << 20,
    maxResponseBytesInFlight: 1 << 22,
    maxRequestWork: 1000,
    maxConcurrentScans: 2,
    logger: pino({ level: "silent" }),
    checkResults: true,
  });
}

/** Lets the event loop go round until `done()` or `turns` turns have passed (the batch paces its calls). */
async function turnsUntil(done: () => boolean, turns = 2000): Promise<void> {
  for (let t = 0; t < turns && !done(); t++) await new Promise((resolve) => setImmediate(resolve));
}

const calls = (name: string, params: object) =>
  JSON.stringify(Array.from({ length: BATCH }, (_, i) => ({ jsonrpc: "2.0", id: i, method: name, params })));

describe("a batch of tx_submit calls", () => {
  it("waits for all its signature checks at once, and answers every call", async () => {
    const checks = gate();
    const hash = new Uint8Array(32).fill(7);
    const mempool = {
      add: async () => {
        await checks.pass(); // the signature check, on a verify worker
        return { hash, id: Buffer.from(hash).toString("hex") };
      },
    };
    const d = dispatcher(txMethods, { mempool });
    const reply = d.handle(calls("tx_submit", { tx: "AAAA" }));
    await turnsUntil(() => checks.waiting === BATCH);
    expect(checks.waiting).toBe(BATCH); // was BATCH_CONCURRENCY (32): eight rounds of checks one after another
    checks.open();
    const answers = JSON.parse((await reply)?.body.toString() ?? "[]") as { id: number; result?: { hash: string } }[];
    expect(answers.map((a) => a.id)).toEqual(Array.from({ length: BATCH }, (_, i) => i));
    expect(answers.every((a) => a.result?.hash === "07".repeat(32))).toBe(true);
  });

  it("holds no call's params while the calls wait: a loaded node's admissions outlive two scavenges", async () => {
    // An async function keeps its arguments and locals until it returns: the dispatcher's call frame kept each
    // call's parsed params (a tx's base64), and the batch its requests, until the last admission was answered.
    const waits = gate();
    const params: WeakRef<object>[] = [];
    const hold = method({
      name: "test_hold",
      description: "Waits in a queue of its own, as tx_submit does.",
      // Checked without a copy: the handler gets the request's own params object, so the WeakRef below is to
      // what the batch's array and each call's frame held.
      params: z.custom<{ tx: string }>((v) => typeof v === "object" && v !== null && typeof (v as { tx?: unknown }).tx === "string"),
      result: z.strictObject({ ok: z.boolean() }),
      waitsInOwnQueue: true,
      handler: (p) => {
        params.push(new WeakRef(p));
        return waits.pass().then(() => ({ ok: true }));
      },
    });
    const d = dispatcher([hold], {});
    const reply = d.handle(calls("test_hold", { tx: "A".repeat(200) }));
    // And a lone request (a wallet's one tx_submit) beside the batch.
    const lone = d.handle(JSON.stringify({ jsonrpc: "2.0", id: "lone", method: "test_hold", params: { tx: "B" } }));
    await turnsUntil(() => waits.waiting === BATCH + 1);
    expect(waits.waiting).toBe(BATCH + 1);
    // One more turn of the loop: a WeakRef's target is kept alive until the job that made the WeakRef ends, and
    // the last handlers may have run in the turn that ended the wait.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(params.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    waits.open();
    const answers = JSON.parse((await reply)?.body.toString() ?? "[]") as { result?: { ok: boolean } }[];
    expect(answers.filter((a) => a.result?.ok === true)).toHaveLength(BATCH);
    expect(JSON.parse((await lone)?.body.toString() ?? "{}")).toEqual({ jsonrpc: "2.0", id: "lone", result: { ok: true } });
  });

  it("other calls of a batch still run BATCH_CONCURRENCY at a time", async () => {
    const reads = gate();
    const slowRead = method({
      name: "test_getSlow",
      description: "A read that waits.",
      params: z.strictObject({}),
      result: z.strictObject({ ok: z.boolean() }),
      handler: async () => {
        await reads.pass(); // a database read
        return { ok: true };
      },
    });
    const d = dispatcher([slowRead], {});
    const reply = d.handle(calls("test_getSlow", {}));
    await turnsUntil(() => reads.waiting > BATCH_CONCURRENCY, 200);
    expect(reads.waiting).toBe(BATCH_CONCURRENCY);
    reads.open();
    const answers = JSON.parse((await reply)?.body.toString() ?? "[]") as unknown[];
    expect(answers).toHaveLength(BATCH);
    expect(reads.most).toBe(BATCH_CONCURRENCY);
  });
});
