import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { NODE } from "../helpers/processes.ts";

/**
 * `npm run bench` as a real process with small numbers, so the harness cannot rot: it must fund its accounts,
 * measure the verify rate, commit every transfer and print one JSON line whose figures are sane.
 */
const BENCH = join(import.meta.dirname, "..", "bench", "transfer-bench.ts");

interface BenchRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/** Runs the bench; `onLine` may return "interrupt" to send it SIGINT (as Ctrl-C does). */
function runBench(args: string[], onLine?: (line: string) => "interrupt" | undefined): Promise<BenchRun> {
  const child = spawn(NODE, [BENCH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    if (onLine?.(line) === "interrupt") child.kill("SIGINT");
  });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

function jsonLine(run: BenchRun): Record<string, unknown> {
  const line = run.lines.findLast((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`no JSON line:\n${run.lines.join("\n")}\n${run.stderr}`);
  return JSON.parse(line) as Record<string, unknown>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function expectSaneFigures(r: Record<string, unknown>, txs: number): void {
  expect(r.complete).toBe(true);
  expect(r.committedTxs).toBe(txs);
  expect(r.verifyPerSecOneCore).toBeGreaterThan(0);
  expect(r.verifyUs).toBeGreaterThan(0);
  // Measured before the nodes start and after the load; the ratios use the faster.
  expect(r.verifyUs).toBe(Math.min(r.verifyUsBefore as number, r.verifyUsAfter as number));
  expect(r.verifyPerSecOneCore).toBeCloseTo(1e6 / (r.verifyUs as number), -2); // one measurement's, both
  expect(r.committedTxPerSec).toBeGreaterThan(0);
  expect(r.committedPerVerifyRate).toBeGreaterThan(0);
  expect(r.committedPerVerifyRate).toBeCloseTo((r.committedTxPerSec as number) / (r.verifyPerSecOneCore as number), 2);
  const perNode = r.cpuPerTxInVerifies as number[];
  expect(perNode).toHaveLength(1);
  expect(perNode[0]).toBeGreaterThan(0);
  expect(r.cpuPerTxInVerifiesMean).toBeGreaterThan(0);
  // The split by thread adds up to the node's whole CPU per tx (each part rounded to 0.001), and the verify
  // workers and the event loop both worked.
  const split = (r.cpuPerTxByThread as Record<string, number>[])[0];
  const parts = Object.values(split);
  expect(Object.keys(split).sort()).toEqual(["io", "main", "other", "v8", "verify"]);
  expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo(perNode[0], 1);
  expect(split.verify).toBeGreaterThan(0);
  expect(split.main).toBeGreaterThan(0);
  expect(r.cpuPerTxByThreadMean).toEqual(split); // one node: its split is the mean
  // The run's own verify: the workers' CPU per signature. At least one signature per committed tx (each verified
  // once; votes are verified elsewhere), so it is at most their CPU per tx; the in-run ratios are the same CPU over
  // that yardstick.
  const [inRunUs] = r.verifyUsInRun as number[];
  expect((r.verifySignatures as number[])[0]).toBeGreaterThanOrEqual(txs);
  // At least one signature a message, at most all of them in one.
  const [perMessage] = r.signaturesPerVerifyMessage as number[];
  expect(perMessage).toBeGreaterThanOrEqual(1);
  expect(perMessage).toBeLessThanOrEqual((r.verifySignatures as number[])[0]);
  expect(inRunUs).toBeGreaterThan(0);
  expect(inRunUs).toBeLessThanOrEqual(split.verify * (r.verifyUs as number) * 1.01 + 0.01);
  expect((r.cpuPerTxInRunVerifies as number[])[0]).toBeCloseTo((perNode[0] * (r.verifyUs as number)) / inRunUs, 1);
  expect(r.cpuPerTxInRunVerifiesMean).toBe((r.cpuPerTxInRunVerifies as number[])[0]);
  expect(r.committedPerInRunVerifyRate).toBeCloseTo(((r.committedTxPerSec as number) * inRunUs) / 1e6, 1);
  expect(r.followerSubscribed).toBe(true); // commits heard of from node 0, not polled for
  expect(r.heights).toBeGreaterThan(0);
  expect(r.maxRound).toBeGreaterThanOrEqual(0);
  expect(r.rounds).toBe((r.maxRound as number) + 1);
  expect(r.rounds).toBeGreaterThanOrEqual(1);
  expect(r.heightsOver1Round).toBeGreaterThanOrEqual(0);
  expect(r.heightsOver2Rounds).toBeLessThanOrEqual(r.heightsOver1Round as number);
  expect(r.submitAnswerMsP99).toBeGreaterThan(0);
  expect(r.submitAnswerMsP50).toBeLessThanOrEqual(r.submitAnswerMsP99 as number);
  expect(r.refusals).toBeGreaterThanOrEqual(0);
  expect(r.latencyMsP99).toBeGreaterThan(0);
}

interface Step {
  offeredTxPerSec: number;
  ok: boolean;
  txs: number;
  committedTxs: number;
  latencyMsP99: number;
  cpuPerTxInRunVerifiesMean: number | null;
}

describe("npm run bench (small numbers, 1 validator)", () => {
  it("funds 2,000 accounts, commits 4,000 transfers and prints every figure with its verify-rate ratio", async () => {
    const run = await runBench(["--txs", "4000", "--accounts", "2000", "--verify-seconds", "0.3", "--block-interval", "500", "--timeout", "50"]);
    expect(run.code, `${run.lines.join("\n")}\n${run.stderr}`).toBe(0);
    const r = jsonLine(run);
    expectSaneFigures(r, 4000);
    expect(r.accounts).toBe(2000);
    expect(r.newAccounts).toBe(false);
    expect(run.lines.join("\n")).toMatch(/one core verifies \d+ signatures\/s/);
  });

  it("--new-accounts sends every transfer to an account that does not exist yet", async () => {
    const run = await runBench([
      "--txs", "2000", "--accounts", "100", "--new-accounts", "--verify-seconds", "0.3", "--block-interval", "500", "--timeout", "50",
    ]);
    expect(run.code, `${run.lines.join("\n")}\n${run.stderr}`).toBe(0);
    const r = jsonLine(run);
    expectSaneFigures(r, 2000);
    expect(r.newAccounts).toBe(true);
    expect(r.accountsCreated).toBe(2000);
    expect(r.accountsChecked).toBeGreaterThan(0);
  });

  it("--saturation steps the offered rate and answers with the highest rate that passed", async () => {
    const run = await runBench([
      "--saturation", "--saturation-start", "200", "--saturation-step", "200", "--saturation-max", "400",
      "--step-seconds", "3", "--verify-seconds", "0.3", "--block-interval", "500", "--timeout", "50",
    ]);
    expect(run.code, `${run.lines.join("\n")}\n${run.stderr}`).toBe(0);
    const r = jsonLine(run);
    expect(r.mode).toBe("saturation");
    const steps = r.steps as Step[];
    expect(steps.map((s) => s.offeredTxPerSec)).toEqual([200, 400].slice(0, steps.length));
    expect(steps[0].txs).toBe(600);
    for (const s of steps) expect(s.ok).toBe(s.committedTxs === s.txs && s.latencyMsP99 <= 2500);
    for (const s of steps) expect(s.cpuPerTxInRunVerifiesMean).toBeGreaterThan(0); // each step's own yardstick
    const passed = steps.filter((s) => s.ok).map((s) => s.offeredTxPerSec);
    expect(r.saturationTxPerSec).toBe(passed.length > 0 ? Math.max(...passed) : null);
    if (r.saturationTxPerSec !== null) {
      const ratio = (r.saturationTxPerSec as number) / (r.verifyPerSecOneCore as number);
      expect(r.saturationPerVerifyRate).toBeCloseTo(ratio, 2);
    }
    expect(run.lines.filter((l) => l.startsWith("step "))).toHaveLength(steps.length);
  });

  it("--overload then offers twice the saturation point and divides what it commits by the peak", async () => {
    const run = await runBench([
      "--overload", "--saturation-start", "200", "--saturation-step", "200", "--saturation-max", "400",
      "--step-seconds", "3", "--overload-seconds", "3", "--verify-seconds", "0.3", "--block-interval", "500",
      "--timeout", "55",
    ]);
    expect(run.code, `${run.lines.join("\n")}\n${run.stderr}`).toBe(0);
    const r = jsonLine(run);
    expect(r.mode).toBe("overload");
    const steps = r.steps as (Step & { steadyTxPerSec: number })[];
    expect(steps.length).toBeGreaterThan(0);
    expect(r.peakTxPerSec).toBe(Math.max(...steps.map((s) => s.steadyTxPerSec)));
    expect(r.overloadOfferedTxPerSec).toBe(2 * (r.saturationTxPerSec as number));
    expect(r.overloadTxPerSec).toBeGreaterThan(0);
    expect(r.overloadPerPeak).toBeCloseTo((r.overloadTxPerSec as number) / (r.peakTxPerSec as number), 2);
    const overload = r.overload as { complete: boolean; txs: number; committedTxs: number };
    expect(overload.txs).toBe(Math.round(((r.overloadOfferedTxPerSec as number) * 3000) / 1000));
    expect(overload.complete).toBe(true);
    expect(overload.committedTxs).toBe(overload.txs);
    expect(run.lines.join("\n")).toMatch(/overload: committed \d+ tx\/s under \d+ tx\/s offered = [\d.]+ x the peak/);
  });

  it("Ctrl-C stops it: its nodes are gone and its temp dir removed", async () => {
    let pids: number[] = [];
    let dir = "";
    const run = await runBench(["--txs", "100000", "--verify-seconds", "0.2", "--timeout", "50"], (line) => {
      const m = /pids ([\d ]+); temp dir (\S+)/.exec(line);
      if (m === null) return undefined;
      pids = m[1].trim().split(" ").map(Number);
      dir = m[2];
      return "interrupt";
    });
    expect(pids.length, `${run.lines.join("\n")}\n${run.stderr}`).toBe(1);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted/);
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
