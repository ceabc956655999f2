import { Session } from "node:inspector/promises";

/** A node of V8's sampling heap profile: a call frame, the sampled bytes allocated in it, its callees. */
export interface HeapSampleNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapSampleNode[];
}

/**
 * What `run` allocates, by call stack: V8's sampling heap profiler over it, sampling every 64 bytes and
 * keeping the samples of objects the GC collected meanwhile (what was allocated, not what stayed).
 */
export async function sampledAllocations(run: () => unknown): Promise<HeapSampleNode> {
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 64,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
    await run();
    const { profile } = await session.post("HeapProfiler.stopSampling");
    return profile.head as HeapSampleNode;
  } finally {
    session.disconnect();
  }
}
