import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PREVOTE } from "../../consensus/signer-guard.ts";
import { sha256 } from "../../crypto/hash.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { tempDir } from "../helpers/tmp.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("the signer's audit log is bounded", () => {
  it("rotates to .1 at its size limit, so at most two files of at most the limit each exist", async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const keyPath = join(t.dir, "key.json");
    createValidatorKey(keyPath);
    const audit = join(t.dir, "signer-audit.log");
    const limit = 2000;
    const make = () => new GuardedSigner(loadValidatorKey(keyPath), join(t.dir, "state.json"), audit, limit);
    let signer = make();
    for (let h = 1; h <= 60; h++) {
      if (h === 30) signer = make(); // a restart picks up the current size
      await signer.sign({ height: h, round: 0, step: STEP_PREVOTE, signBytes: sha256(Uint8Array.of(h)) }).durable;
    }
    expect(readdirSync(t.dir).filter((f) => f.startsWith("signer-audit")).sort()).toEqual([
      "signer-audit.log",
      "signer-audit.log.1",
    ]);
    expect(statSync(audit).size).toBeLessThanOrEqual(limit);
    expect(statSync(`${audit}.1`).size).toBeLessThanOrEqual(limit);
    // Nothing torn: every line is whole JSON, and the newest signature is in the current file.
    const lines = [audit + ".1", audit].flatMap((f) => readFileSync(f, "utf8").trim().split("\n"));
    const heights = lines.map((l) => (JSON.parse(l) as { height: number }).height);
    expect(heights.at(-1)).toBe(60);
    expect(heights).toEqual([...heights].sort((a, b) => a - b));
  });
});
