import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../../consensus/signer-guard.ts";
import { toBase64 } from "../../crypto/bytes.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import type { DriverOptions } from "../../node/consensus-driver-options.ts";
import { GuardedSigner, readSignerState, SIGNER_AUDIT_MAX_BYTES } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { PREVOTE } from "../../proto/consensus.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";
import { HeldFsync } from "../helpers/held-fsync.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The double-sign guard off the main thread: a single-validator chain on real files, with an fsync layer the
 * test holds. While the fsyncs for its first signatures are held, the node must hand nothing it signed to the
 * network, and its main thread must keep serving (a timer fires). Each message, when it is handed over, must
 * already be forbidden to conflict by what is on disk: the signer state file at or past its step, and its
 * signature in the WAL.
 */
const voteStep = (type: number) => (type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT);

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** A temp dir (removed after the test) holding a new validator key, and the key. */
function validatorDir(prefix: string) {
  const t = tempDir(prefix);
  cleanup = t.cleanup;
  createValidatorKey(join(t.dir, "key.json"));
  return { t, key: loadValidatorKey(join(t.dir, "key.json")) };
}

/** A driver of one validator on real files and the test's disk: slow timeouts, no interval, fatal errors kept. */
async function startDriver(o: Pick<DriverOptions, "app" | "network" | "signer" | "walPath" | "fsyncer">) {
  const fatal: unknown[] = [];
  const driver = new ConsensusDriver({
    ...o,
    timeouts: SLOW_TIMEOUTS,
    commitTimeoutMs: 0,
    logger: pino({ level: "silent" }),
    onFatal: (err) => fatal.push(err),
  });
  await driver.start();
  return { driver, fatal };
}

describe("own signatures leave only once durable, and the main thread is free meanwhile", () => {
  it("with every fsync held, nothing signed is broadcast; once released, each message goes out after its records", async () => {
    const { t, key } = validatorDir("opl-walheld-");
    const statePath = join(t.dir, "signer.json");
    const walPath = join(t.dir, "cs.wal");
    const fsyncer = new HeldFsync();
    const signer = new GuardedSigner(key, statePath, join(t.dir, "audit.log"), SIGNER_AUDIT_MAX_BYTES, fsyncer);
    // Hold fsyncs from the first signature on (the WAL's reset for height 1 goes through).
    fsyncer.holding = () => (signer.lastSigned?.height ?? 0) >= 1;

    const sent: ConsensusMessage[] = [];
    const violations: string[] = [];
    const network = {
      broadcast(m: ConsensusMessage) {
        if (m.type !== "proposal" && m.type !== "compactProposal" && m.type !== "vote") return;
        sent.push(m);
        const [height, round, step, signature] =
          m.type !== "vote"
            ? [m.proposal.proposal.height, m.proposal.proposal.round, STEP_PROPOSE, m.proposal.signature]
            : [m.vote.vote.height, m.vote.vote.round, voteStep(m.vote.vote.type), m.vote.signature];
        const s = readSignerState(statePath);
        if ((s.height - height || s.round - round || s.step - step) < 0) {
          violations.push(`${m.type} ${height}/${round}/${step} sent while the signer state on disk is at ${s.height}/${s.round}/${s.step}`);
        }
        if (!readFileSync(walPath).includes(toBase64(signature))) violations.push(`${m.type} ${height}/${round}/${step} sent before its WAL record`);
      },
    };
    const app = new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }]);
    const { driver, fatal } = await startDriver({ app, network, signer, walPath, fsyncer });
    try {
      // The proposal is signed and its records wait for the disk.
      await waitFor("the first signature, its fsync held", () => (signer.lastSigned?.height === 1 && fsyncer.held > 0 ? true : undefined), 5000);
      let fired = false;
      setTimeout(() => (fired = true), 1);
      await waitFor("a timer firing while the fsync is pending", () => (fired ? true : undefined), 5000);
      expect(fsyncer.held).toBeGreaterThan(0);
      expect(sent).toEqual([]); // signed, not yet durable: not handed to the network

      await waitFor("height 1 committed", () => {
        fsyncer.releaseAll();
        return app.committed.length >= 1 ? true : undefined;
      });
      await waitFor("the precommit sent", () => (sent.length >= 3 ? true : undefined), 5000);
    } finally {
      fsyncer.holding = () => false; // a stopping node waits for its writes
      fsyncer.releaseAll();
      await driver.stop();
    }
    expect(fatal).toEqual([]);
    expect(violations).toEqual([]);
    expect(sent.map((m) => (m.type === "vote" ? m.vote.vote.type : "proposal")).slice(0, 3)).toEqual(["proposal", 1, 2]);
  });

  it("the next height's proposal is built while the WAL's move to its file is on the disk; nothing of it leaves before", async () => {
    const { t, key } = validatorDir("opl-walrotate-");
    const walPath = join(t.dir, "cs.wal");
    const fsyncer = new HeldFsync(); // the WAL's disk
    // The signer's disk is quick: what holds height 2's messages back must be the WAL's new file alone.
    const quickDisk = new HeldFsync();
    quickDisk.holding = () => false;
    const signer = new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log"), SIGNER_AUDIT_MAX_BYTES, quickDisk);
    const proposed: number[] = [];
    const app = new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }], (fields) => {
      proposed.push(fields.height ?? 0);
      return smallBlock(fields);
    });
    // Every WAL fsync from height 1's commit on is held: first those of its next file (height 2's).
    fsyncer.holding = () => app.committed.length >= 1;
    const sent: ConsensusMessage[] = [];
    const violations: string[] = [];
    const network = {
      broadcast(m: ConsensusMessage) {
        if (m.type !== "proposal" && m.type !== "compactProposal" && m.type !== "vote") return;
        sent.push(m);
        const signature = m.type === "vote" ? m.vote.signature : m.proposal.signature;
        if (!readFileSync(walPath).includes(toBase64(signature))) violations.push(`${m.type} sent before its WAL record`);
      },
    };
    const { driver, fatal } = await startDriver({ app, network, signer, walPath, fsyncer });
    try {
      await waitFor("height 2's proposal built and signed", () => (signer.lastSigned?.height === 2 ? true : undefined), 5000);
      expect(proposed).toContain(2);
      // The new file's fsync and its directory's; the flush for height 2's signatures waits for them.
      expect(fsyncer.held).toBe(2);
      const ofHeight2 = (m: ConsensusMessage) => (m.type === "vote" ? m.vote.vote.height : m.type === "proposal" || m.type === "compactProposal" ? m.proposal.proposal.height : 0) === 2;
      expect(sent.filter(ofHeight2)).toEqual([]);

      await waitFor("height 2 committed", () => {
        fsyncer.releaseAll();
        return app.committed.length >= 2 ? true : undefined;
      });
      expect(sent.filter(ofHeight2).length).toBeGreaterThanOrEqual(3);
    } finally {
      fsyncer.holding = () => false;
      fsyncer.releaseAll();
      await driver.stop();
    }
    expect(fatal).toEqual([]);
    expect(violations).toEqual([]);
  });

  it("a failed fsync is fatal, and what it was to make durable is never sent", async () => {
    const { t, key } = validatorDir("opl-walfail-");
    const holder: { signer?: GuardedSigner } = {};
    // The disk fails from the first signature on (the WAL's reset for height 1 goes through).
    const failing = {
      fsync: async () => {
        if ((holder.signer?.lastSigned?.height ?? 0) >= 1) throw new Error("EIO: the disk failed the fsync");
      },
    };
    const signer = new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log"), SIGNER_AUDIT_MAX_BYTES, failing);
    holder.signer = signer;
    const sent: ConsensusMessage[] = [];
    const { driver, fatal } = await startDriver({
      app: new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }]),
      network: { broadcast: (m) => void (m.type === "proposal" || m.type === "compactProposal" || m.type === "vote" ? sent.push(m) : undefined) },
      signer,
      walPath: join(t.dir, "cs.wal"),
      fsyncer: failing,
    });
    await waitFor("the node stopping on the failed fsync", () => (fatal.length > 0 ? true : undefined), 5000);
    await driver.stop();
    expect(String(fatal[0])).toMatch(/EIO/);
    expect(sent).toEqual([]);
  });
  it("a failed fsync under a signature that is never sent (no network) is fatal, not an unhandled rejection", async () => {
    const { t, key } = validatorDir("opl-walfail-nonet-");
    const holder: { signer?: GuardedSigner } = {};
    const failing = {
      fsync: async () => {
        if ((holder.signer?.lastSigned?.height ?? 0) >= 1) throw new Error("EIO: the disk failed the fsync");
      },
    };
    const signer = new GuardedSigner(key, join(t.dir, "signer.json"), join(t.dir, "audit.log"), SIGNER_AUDIT_MAX_BYTES, failing);
    holder.signer = signer;
    const { driver, fatal } = await startDriver({
      app: new MemoryApp([{ address: key.address, pubkey: key.publicKey, power: 10 }]),
      signer,
      walPath: join(t.dir, "cs.wal"),
      fsyncer: failing,
    });
    await waitFor("the node stopping on the failed fsync", () => (fatal.length > 0 ? true : undefined), 5000);
    await driver.stop();
    expect(String(fatal[0])).toMatch(/EIO/);
  });
});
