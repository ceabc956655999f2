import { z } from "zod";
import { NODE_VERSION } from "../../node/version.ts";
import { withCachedJson } from "../cached-json.ts";
import { method, type RpcMethod } from "../method.ts";
import { openRpcDocument } from "../openrpc.ts";
import { noParams } from "../schemas.ts";
import { allMethods } from "./index.ts";

/** The document, made once: the declarations never change while the node runs. */
let document: ReturnType<typeof openRpcDocument> | undefined;

export const discoverMethods = [
  method({
    name: "rpc_discover",
    description:
      "This API described as an OpenRPC 1.x document (https://spec.open-rpc.org): every method with its " +
      "summary, its params by name and its result as JSON Schema (draft 7), made from the declarations the " +
      "node validates params with and the tests check every result against.",
    params: noParams,
    result: z.looseObject({
      openrpc: z.string(),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      methods: z.array(z.looseObject({ name: z.string() })),
    }).describe("an OpenRPC document (its meta-schema: https://meta.open-rpc.org/)"),
    // allMethods is read when called, not when this module loads (index.ts imports this file).
    // Once per request (a batch of them would send the same ~166 KB again and again), its JSON made once.
    handler: (_params, ctx): unknown => {
      ctx.request.onlyOnce("rpc_discover");
      return (document ??= withCachedJson(openRpcDocument(allMethods as readonly RpcMethod[], NODE_VERSION)));
    },
  }),
];
