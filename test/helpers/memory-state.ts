import type { BlockContext } from "../../state/block-context.ts";
import { type ChainParams, DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId, Overlay, type StateReader, type StateWrite } from "../../state/view.ts";

/** An in-memory state for unit tests of the pure state code: a map from key ids to values. */
export class MemoryState implements StateReader {
  readonly map = new Map<string, Uint8Array>();

  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(keyId(key));
  }

  apply(writes: readonly StateWrite[]): void {
    for (const w of writes) {
      if (w.value === undefined) this.map.delete(keyId(w.key));
      else this.map.set(keyId(w.key), w.value);
    }
  }

  /** Runs `fn` on an overlay over this state and keeps its writes (as a committed block would). */
  run<T>(fn: (view: Overlay) => T): T {
    const view = new Overlay(this);
    const out = fn(view);
    this.apply(view.sortedWrites());
    return out;
  }

  /** Every (key, value) under a prefix, in key order. */
  entries(prefix: Uint8Array): [Uint8Array, Uint8Array][] {
    const p = keyId(prefix);
    return [...this.map.entries()]
      .filter(([k]) => k.startsWith(p))
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([k, v]) => [new Uint8Array(Buffer.from(k, "latin1")), v]);
  }
}

export function testContext(height: number, overrides: Partial<BlockContext> = {}): BlockContext {
  const params: ChainParams = overrides.params ?? DEFAULT_PARAMS;
  return {
    chainId: "opl-test-1",
    height,
    timeMs: 1_700_000_000_000 + height * 1000,
    proposer: new Uint8Array(20).fill(0xee),
    params,
    lastCommitVotes: [],
    evidence: [],
    ...overrides,
  };
}
