import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE } from "../../consensus/signer-guard.ts";
import { sha256 } from "../../crypto/hash.ts";
import type { Fsyncer } from "../../node/durable-file.ts";
import { DoubleSignRefusedError, GuardedSigner, readSignerState, SignerStateDamagedError } from "../../node/signer.ts";
import { SIGNER_STATE_FILE_BYTES, shadowPathOf } from "../../node/signer-state-store.ts";
import { signerFixture } from "../helpers/signer-fixture.ts";

/**
 * Issue 12: the signer state is written in place (a shadow copy first, then the file), one fdatasync before a
 * signature may leave, instead of replacing the file (ten thread-pool steps per signature). What must hold:
 * a crash at any point leaves a whole state that forbids everything that left, and a torn file is passed over.
 */

/** Counts the syncs; a sync of the `holdFrom`-th datasync on never resolves (a crash before it completes). */
function countingFsyncer(holdFrom = Infinity) {
  const counts = { fsync: 0, datasync: 0 };
  const fsyncer: Fsyncer = {
    fsync: async () => {
      counts.fsync++;
    },
    datasync: () => {
      counts.datasync++;
      return counts.datasync >= holdFrom ? new Promise<void>(() => {}) : Promise.resolve();
    },
  };
  return { counts, fsyncer };
}

const payload = (text: string) => sha256(new TextEncoder().encode(text));

describe("the signer state written in place", () => {
  it("a signature is durable after one fdatasync of the shadow; the file is written over, never replaced", async () => {
    const { key, state, audit } = signerFixture();
    const { counts, fsyncer } = countingFsyncer();
    const signer = new GuardedSigner(key, state, audit, undefined, fsyncer);
    const inode = statSync(state).ino;
    const { durable } = signer.sign({ height: 3, round: 0, step: STEP_PREVOTE, signBytes: payload("prevote") });
    await durable;
    expect(readSignerState(shadowPathOf(state))).toMatchObject({ height: 3, step: STEP_PREVOTE });
    await signer.settled();
    expect(counts).toEqual({ fsync: 0, datasync: 2 });
    expect(statSync(state).ino).toBe(inode);
    expect(statSync(state).size).toBe(SIGNER_STATE_FILE_BYTES);
    expect(readSignerState(state)).toMatchObject({ height: 3, round: 0, step: STEP_PREVOTE });
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ height: 3, step: STEP_PREVOTE });
  });

  it("a crash between the shadow's write and the file's: the shadow is the state, and forbids a conflicting signature", async () => {
    const { key, state, audit } = signerFixture();
    const { counts, fsyncer } = countingFsyncer(2); // the shadow's datasync completes, the file's never does
    const signer = new GuardedSigner(key, state, audit, undefined, fsyncer);
    const signed = signer.sign({ height: 5, round: 1, step: STEP_PRECOMMIT, signBytes: payload("precommit A") });
    await signed.durable; // the signature may leave: one datasync done, the file's still under way
    expect(counts).toEqual({ fsync: 0, datasync: 2 });
    expect(readSignerState(state)).toMatchObject({ height: 5, round: 1, step: STEP_PRECOMMIT });

    const restarted = new GuardedSigner(key, state, audit);
    expect(restarted.lastSigned).toMatchObject({ height: 5, round: 1, step: STEP_PRECOMMIT });
    expect(() => restarted.sign({ height: 5, round: 1, step: STEP_PRECOMMIT, signBytes: payload("precommit B") })).toThrow(
      DoubleSignRefusedError,
    );
    // Start-up made both whole and equal: the file itself now says it too.
    expect(readFileSync(state)).toEqual(readFileSync(shadowPathOf(state)));
  });

  it("a failed write of the file itself is told at once, and the next signature is refused durability", async () => {
    const { key, state, audit } = signerFixture();
    let syncs = 0;
    const failing: Fsyncer = {
      fsync: async () => {},
      datasync: async () => {
        if (++syncs === 2) throw new Error("EIO: the file's sync failed");
      },
    };
    const told: unknown[] = [];
    const signer = new GuardedSigner(key, state, audit, undefined, failing, (err) => told.push(err));
    await signer.sign({ height: 8, round: 0, step: STEP_PREVOTE, signBytes: payload("prevote") }).durable;
    await expect(signer.settled()).rejects.toThrow(/EIO/);
    expect(told).toHaveLength(1);
    // The shadow holds the state, so that one stands; the next must not leave on a failing disk.
    expect(readSignerState(state)).toMatchObject({ height: 8, step: STEP_PREVOTE });
    const next = signer.sign({ height: 8, round: 0, step: STEP_PRECOMMIT, signBytes: payload("precommit") });
    await expect(next.durable).rejects.toThrow(/EIO/);
  });

  it("a file torn by a crash mid-write is passed over; both torn is a damaged state", async () => {
    const { key, state, audit } = signerFixture();
    const signer = new GuardedSigner(key, state, audit);
    await signer.sign({ height: 7, round: 0, step: STEP_PREVOTE, signBytes: payload("prevote") }).durable;
    await signer.settled();
    const tear = (path: string) => {
      const bytes = readFileSync(path);
      bytes.fill(0, 40, 200); // a write cut short: the sector half old, half zeros
      writeFileSync(path, bytes);
    };
    tear(shadowPathOf(state));
    expect(readSignerState(state)).toMatchObject({ height: 7, step: STEP_PREVOTE });
    writeFileSync(shadowPathOf(state), readFileSync(state));
    tear(state);
    expect(readSignerState(state)).toMatchObject({ height: 7, step: STEP_PREVOTE });
    tear(shadowPathOf(state));
    expect(() => readSignerState(state)).toThrow(SignerStateDamagedError);
  });

  it("start-up writes both files to disk again even when they already read right (a killed process's last write may be only in the page cache)", async () => {
    const { key, state, audit } = signerFixture();
    const first = new GuardedSigner(key, state, audit);
    await first.sign({ height: 4, round: 0, step: STEP_PREVOTE, signBytes: payload("prevote") }).durable;
    await first.settled();
    const before = [state, shadowPathOf(state)].map((p) => ({ ino: statSync(p).ino, text: readFileSync(p, "utf8") }));
    const restarted = new GuardedSigner(key, state, audit);
    expect(restarted.lastSigned).toMatchObject({ height: 4, step: STEP_PREVOTE });
    // Replaced (temp file, fsync, rename, directory fsync), not trusted as read.
    const after = [state, shadowPathOf(state)].map((p) => ({ ino: statSync(p).ino, text: readFileSync(p, "utf8") }));
    expect(after.map((f) => f.text)).toEqual(before.map((f) => f.text));
    expect(after[0].ino).not.toBe(before[0].ino);
    expect(after[1].ino).not.toBe(before[1].ino);
  });

  it("the state file lost, its shadow kept: the shadow is the state, and the file is written again", async () => {
    const { key, state, audit } = signerFixture();
    const first = new GuardedSigner(key, state, audit);
    await first.sign({ height: 6, round: 2, step: STEP_PRECOMMIT, signBytes: payload("precommit") }).durable;
    await first.settled();
    rmSync(state);
    const restarted = new GuardedSigner(key, state, audit);
    expect(restarted.lastSigned).toMatchObject({ height: 6, round: 2, step: STEP_PRECOMMIT });
    expect(readSignerState(state)).toMatchObject({ height: 6, round: 2, step: STEP_PRECOMMIT });
  });

  it("an earlier version's file (unpadded, no shadow) is taken, and both files are made whole at start-up", async () => {
    const { key, state, audit } = signerFixture();
    const first = new GuardedSigner(key, state, audit);
    await first.sign({ height: 2, round: 0, step: STEP_PRECOMMIT, signBytes: payload("precommit") }).durable;
    await first.settled();
    const text = readFileSync(state, "utf8").trimEnd(); // the JSON line as an earlier version wrote it
    writeFileSync(state, `${text}\n`);
    writeFileSync(shadowPathOf(state), ""); // and a shadow of nothing (a crash as it was made)
    const signer = new GuardedSigner(key, state, audit);
    expect(signer.lastSigned).toMatchObject({ height: 2, step: STEP_PRECOMMIT });
    for (const path of [state, shadowPathOf(state)]) {
      expect(statSync(path).size).toBe(SIGNER_STATE_FILE_BYTES);
      expect(readFileSync(path, "utf8").trimEnd()).toBe(text);
    }
  });
});
