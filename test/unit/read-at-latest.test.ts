import { expect, it } from "vitest";
import type { RpcContext } from "../../rpc/context.ts";
import { RpcError } from "../../rpc/errors.ts";
import { WorkPacer } from "../../rpc/pacer.ts";
import { RequestScope } from "../../rpc/request-scope.ts";
import { Semaphore } from "../../rpc/semaphore.ts";
import { readAt } from "../../rpc/state-query.ts";
import { MemoryState } from "../helpers/memory-state.ts";

/**
 * Every key a query reads counts against its request's budget (rpc.max_request_work), at the latest height
 * as at a past one: a batch of live tallies (six keys per validator, up to 1,000 validators each) is cut off
 * at the budget like a batch of historical reads.
 */
function contextWith(maxWork: number): RpcContext {
  const request = new RequestScope({
    signal: new AbortController().signal, maxWork, scans: new Semaphore(1), pacer: new WorkPacer(),
  });
  const app = { info: () => ({ height: 7 }) };
  const memory = new MemoryState();
  // LatestState's by-id reads, over the map (the decoded-record cache is not what this test is about).
  const state = {
    getId: (_id: string, key: Uint8Array) => memory.get(key),
    getRecordId: () => undefined,
  };
  return { state, app, request } as unknown as RpcContext;
}

const readKeys = (n: number) => (view: { get(key: Uint8Array): Uint8Array | undefined }) => {
  for (let i = 0; i < n; i++) view.get(Uint8Array.of(i & 255, i >> 8));
  return n;
};

it("keys read at the latest height are charged to the request, each distinct key once", async () => {
  const ctx = contextWith(100);
  expect(await readAt(ctx, undefined, readKeys(40))).toEqual({ value: 40, height: 7 });
  expect(ctx.request.workDone).toBe(40);
  expect(await readAt(ctx, 7, readKeys(40))).toEqual({ value: 40, height: 7 }); // the latest, named
  expect(ctx.request.workDone).toBe(80);
  // A key read twice by one query is one key of work, as a history read's is.
  await readAt(ctx, undefined, (view) => [view.get(Uint8Array.of(1)), view.get(Uint8Array.of(1))]);
  expect(ctx.request.workDone).toBe(81);
  // The next query takes the request past its budget: refused, as at a past height.
  const refused = await readAt(ctx, undefined, readKeys(40)).catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(RpcError);
  expect((refused as RpcError).message).toMatch(/work/i);
});
