import type { ModuleMsg } from "../../proto/module-msgs.ts";
import type { TxEvent } from "../../proto/records.ts";
import { TxError } from "../errors.ts";
import type { BlockContext } from "../execute.ts";
import type { ChainParams } from "../params.ts";
import type { Overlay } from "../view.ts";

// Placeholder until the module lands: every message is refused.

export function check(msg: ModuleMsg, _params: ChainParams): void {
  throw new TxError("INVALID_MSG", `${msg.type} is not supported yet`);
}

export function spend(_msg: ModuleMsg): bigint {
  return 0n;
}

export function apply(_view: Overlay, _sender: Uint8Array, msg: ModuleMsg, _ctx: BlockContext): TxEvent[] {
  throw new TxError("INVALID_MSG", `${msg.type} is not supported yet`);
}

export function endBlock(_view: Overlay, _ctx: BlockContext): TxEvent[] {
  return [];
}
