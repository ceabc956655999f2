/**
 * What signing a consensus message costs the main thread, and how long a decided vote waits before it is
 * handed to the network: a single-validator chain (the consensus driver with its real WAL and signer state
 * files in a temp dir, an in-memory application) runs --heights heights, each signing a proposal, a prevote
 * and a precommit. Reported as ratios to one ed25519 verify measured by this script just before, on the same
 * machine (absolute times mean little on a shared one):
 * - main-thread busy time per signed message (event-loop utilisation over the run: an fsync on the main
 *   thread counts, one on libuv's thread pool does not), divided by one verify;
 * - the time from "decided" (the driver appends its sign intent to the WAL, right after the engine's effect
 *   and before any fsync, in this version and earlier ones alike) to "sent" (network.broadcast), median and
 *   p99, in verifies and in ms.
 *
 *   node test/bench/wal-sign.ts [--heights 100]
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pino from "pino";
import { generateSecretKey, publicKeyOf, signPortable } from "../../crypto/ed25519.ts";
import { sha256 } from "../../crypto/hash.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { Wal } from "../../node/wal.ts";
import { PREVOTE } from "../../proto/consensus.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../../consensus/signer-guard.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir } from "../helpers/tmp.ts";
import { referenceVerify } from "./reference-verify.ts";

const { values: args } = parseArgs({ options: { heights: { type: "string", default: "100" } } });
const heights = Number(args.heights);

function verifyMicros(): number {
  const secret = generateSecretKey();
  const pub = publicKeyOf(secret);
  const messages = Array.from({ length: 64 }, (_, i) => sha256(Uint8Array.of(i)));
  const sigs = messages.map((m) => signPortable(m, secret));
  for (let i = 0; i < 500; i++) referenceVerify(messages[i % 64], sigs[i % 64], pub); // warm up
  const n = 4000;
  const started = performance.now();
  for (let i = 0; i < n; i++) if (!referenceVerify(messages[i % 64], sigs[i % 64], pub)) throw new Error("verify failed");
  return ((performance.now() - started) * 1000) / n;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function main(): Promise<void> {
  const verifyUs = verifyMicros();
  const t = tempDir("opl-walbench-");
  try {
    createValidatorKey(join(t.dir, "key.json"));
    const key = loadValidatorKey(join(t.dir, "key.json"));
    const signer = new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log"));
    // "Decided": the driver writes its sign intent (timed before the write and any fsync it does).
    const decidedAt = new Map<string, number>();
    const append = Wal.prototype.append;
    Wal.prototype.append = function (this: Wal<unknown>, record: unknown, ...rest: unknown[]) {
      const r = record as { t?: string; height?: number; round?: number; step?: number };
      if (r.t === "intent") decidedAt.set(`${r.height}/${r.round}/${r.step}`, performance.now());
      return (append as (...a: unknown[]) => void).call(this, record, ...rest);
    } as typeof append;
    const waits: number[] = [];
    const network = {
      broadcast(m: ConsensusMessage) {
        let k: string | undefined;
        if (m.type === "proposal" || m.type === "compactProposal") k = `${m.proposal.proposal.height}/${m.proposal.proposal.round}/${STEP_PROPOSE}`;
        if (m.type === "vote") {
          const v = m.vote.vote;
          k = `${v.height}/${v.round}/${v.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT}`;
        }
        const at = k === undefined ? undefined : decidedAt.get(k);
        if (k !== undefined && at !== undefined) {
          waits.push(performance.now() - at);
          decidedAt.delete(k);
        }
      },
    };
    const app = new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }]);
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    app.onCommit = (h) => {
      if (h >= heights) done();
    };
    const driver = new ConsensusDriver({
      app,
      network,
      rebroadcastMs: 60_000,
      signer,
      walPath: join(t.dir, "cs.wal"),
      timeouts: SLOW_TIMEOUTS,
      commitTimeoutMs: 0,
      logger: pino({ level: "silent" }),
      onFatal: (err) => {
        console.error(err);
        process.exit(1);
      },
    });
    const elu0 = performance.eventLoopUtilization();
    const started = performance.now();
    await driver.start();
    await finished;
    const elapsedMs = performance.now() - started;
    const elu = performance.eventLoopUtilization(elu0);
    await driver.stop();

    const signedMessages = waits.length;
    const busyUsPerSigned = (elu.active * 1000) / signedMessages;
    const sorted = [...waits].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    console.log(JSON.stringify({
      heights,
      signedMessages,
      verifyUs: Number(verifyUs.toFixed(1)),
      mainThreadPerSignedInVerifies: Number((busyUsPerSigned / verifyUs).toFixed(1)),
      eventLoopUtilization: Number(elu.utilization.toFixed(3)),
      decidedToSentP50InVerifies: Number(((p50 * 1000) / verifyUs).toFixed(1)),
      decidedToSentP99InVerifies: Number(((p99 * 1000) / verifyUs).toFixed(1)),
      decidedToSentP50Ms: Number(p50.toFixed(2)),
      decidedToSentP99Ms: Number(p99.toFixed(2)),
      heightsPerSecond: Number(((heights * 1000) / elapsedMs).toFixed(1)),
    }));
  } finally {
    t.cleanup();
  }
}

await main();
