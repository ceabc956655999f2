import type { NodeStore } from "./node-reader.ts";
import type { TreePut } from "./versioned-tree.ts";

/** Tree records in a Map: for a state held only in memory (tests, tools), where no database writes them. */
export class MemoryNodeStore implements NodeStore {
  private readonly records = new Map<string, Uint8Array>();

  get(key: Uint8Array): Uint8Array | undefined {
    return this.records.get(Buffer.from(key).toString("latin1"));
  }

  write(ops: readonly TreePut[]): void {
    for (const op of ops) this.records.set(Buffer.from(op.key).toString("latin1"), op.value);
  }

  get size(): number {
    return this.records.size;
  }
}
