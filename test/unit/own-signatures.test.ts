import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../../consensus/signer-guard.ts";
import { toBase64 } from "../../crypto/bytes.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { WalRecord } from "../../node/consensus-wal-record.ts";
import { OwnSignatures } from "../../node/own-signatures.ts";
import { GuardedSigner, readSignerState } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A validator's own signatures, alone (a real guarded signer on a temp dir, the WAL as an array, a fixed
 * clock): intent before signature in the WAL, one signature per step and round, the same bytes after a
 * crash, never different ones, and a replayed signature covered by the signer state before it counts as
 * durable.
 */
let cleanup: (() => void) | undefined;
const signers: GuardedSigner[] = [];
afterEach(async () => {
  await Promise.all(signers.splice(0).map((s) => s.settled())); // their writes land before the dir goes
  cleanup?.();
});

/** Sign bytes are a hash (as the node's are: the signer state keeps them as 32 bytes of hex). */
const bytesFor = (value: string | null) => (timeMs: number) => sha256(new TextEncoder().encode(`${value}@${timeMs}`));

function setup(clock = { ms: 1000 }) {
  const t = tempDir("opl-own-");
  cleanup = t.cleanup;
  createValidatorKey(join(t.dir, "key.json"));
  const key = loadValidatorKey(join(t.dir, "key.json"));
  const statePath = join(t.dir, "signer.json");
  const newSigner = () => {
    const signer = new GuardedSigner(key, statePath, join(t.dir, "audit.log"));
    signers.push(signer);
    return signer;
  };
  const records: WalRecord[] = [];
  const lines: string[] = [];
  const make = (signer: GuardedSigner) =>
    new OwnSignatures({
      signer,
      wal: { append: (r) => void records.push(r), flush: async () => {} },
      now: () => clock.ms,
      log: pino({ level: "warn" }, { write: (l: string) => void lines.push(l) }),
    });
  return { key, statePath, newSigner, records, lines, make, clock };
}

describe("own signatures", () => {
  it("writes the intent, then the signature; the same request again gets the same signature and no record", async () => {
    const { newSigner, records, make } = setup();
    const own = make(newSigner());
    const first = own.sign(STEP_PREVOTE, 1, 0, "aa", bytesFor("aa"));
    expect(first).toBeDefined();
    await first?.durable;
    expect(records.map((r) => r.t)).toEqual(["intent", "signed"]);
    expect(records[1]).toMatchObject({ step: STEP_PREVOTE, height: 1, round: 0, value: "aa", timeMs: 1000 });
    expect(own.sign(STEP_PREVOTE, 1, 0, "aa", bytesFor("aa"))).toBe(first);
    expect(records).toHaveLength(2);
  });

  it("refuses (undefined, logged) to sign something else for a step the guard already signed", () => {
    const { newSigner, lines, make } = setup();
    const own = make(newSigner());
    expect(own.sign(STEP_PREVOTE, 1, 0, "aa", bytesFor("aa"))).toBeDefined();
    own.clear(); // as if the driver had lost what it signed: the guard still knows
    expect(own.sign(STEP_PREVOTE, 1, 0, "bb", bytesFor("bb"))).toBeUndefined();
    expect(lines.join("")).toMatch(/double-sign guard refused/);
  });

  it("after a crash past the intent, asks for the very same bytes (the intent's time); anything else stops", () => {
    const clock = { ms: 1000 };
    const { newSigner, make } = setup(clock);
    const intent: WalRecord = { t: "intent", step: STEP_PRECOMMIT, height: 3, round: 1, value: "cc", timeMs: 777 };
    const own = make(newSigner());
    own.restore([intent]);
    expect(own.hasIntent(STEP_PRECOMMIT, 1)).toBe(true);
    expect(own.hasIntent(STEP_PREVOTE, 1)).toBe(false);
    clock.ms = 5000;
    const again = own.sign(STEP_PRECOMMIT, 3, 1, "cc", bytesFor("cc"));
    expect(again?.timeMs).toBe(777);

    const other = make(newSigner());
    other.restore([{ ...intent, round: 2 }]);
    expect(() => other.sign(STEP_PRECOMMIT, 3, 2, "dd", bytesFor("dd"))).toThrow(/WAL replay diverged/);
  });

  it("a signature found in the WAL counts as durable only once the signer state on disk covers it", async () => {
    const { key, newSigner, statePath, make } = setup();
    const signer = newSigner();
    const { signature } = signer.sign({ height: 2, round: 0, step: STEP_PROPOSE, signBytes: bytesFor("ee")(1000) });
    await signer.settled();
    // The WAL holds the proposal signed and the prevote signed; the signer state only the proposal.
    const signed = { t: "signed", height: 2, round: 0, value: "ee" } as const;
    const proposal: WalRecord = { ...signed, step: STEP_PROPOSE, timeMs: 1000, signature: toBase64(signature) };
    const prevoteSig = key.sign(bytesFor("ee")(1001)); // ed25519 is deterministic: what the guard would give
    const prevote: WalRecord = { ...signed, step: STEP_PREVOTE, timeMs: 1001, signature: toBase64(prevoteSig) };
    expect(readSignerState(statePath).step).toBe(STEP_PROPOSE);

    const own = make(newSigner());
    own.restore([proposal, prevote]);
    const p = own.sign(STEP_PROPOSE, 2, 0, "ee", bytesFor("ee"));
    const v = own.sign(STEP_PREVOTE, 2, 0, "ee", bytesFor("ee"));
    expect(p?.signature).toEqual(signature);
    expect(v?.signature).toEqual(prevoteSig);
    await v?.durable;
    expect(readSignerState(statePath)).toMatchObject({ height: 2, round: 0, step: STEP_PREVOTE });
  });
});
