/** A node of a sampling heap profile (V8's HeapProfiler.stopSampling, or a .heapprofile file). */
export interface HeapProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapProfileNode[];
}

/**
 * Bytes allocated by each site of a sampling heap profile (function name and source line, paths shortened to
 * the project's or node_modules'), in the function itself, and their total: what alloc-top.ts and
 * exec-alloc.ts rank.
 */
export function allocationSites(head: HeapProfileNode): { bySite: Map<string, number>; total: number } {
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules\/)/, "$1").replace(/^file:\/\/\/work\/[^/]+\//, "");
    const key = `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(head);
  return { bySite, total };
}
