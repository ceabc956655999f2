import { copyFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { STEP_PRECOMMIT, STEP_PREVOTE, STEP_PROPOSE } from "../../consensus/signer-guard.ts";
import { generateSecretKey, publicKeyOf } from "../../crypto/ed25519.ts";
import { addressFromPublicKey } from "../../crypto/address.ts";
import { ConsensusDriver } from "../../node/consensus-driver.ts";
import { GuardedSigner, readSignerState } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import type { Validator } from "../../proto/block.ts";
import { PREVOTE } from "../../proto/consensus.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";
import { MemoryApp, SLOW_TIMEOUTS } from "../helpers/memory-app.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * A crash between the WAL's "signed" record reaching the disk and the signer state's write reaching it
 * (review finding F1): after the restart, the WAL replay re-sends what it signed, and each re-sent message
 * must be covered by the signer state on disk first, as a live signature is. Otherwise the guard would
 * let this validator sign something conflicting at that step if the WAL were lost later.
 *
 * The crash is made exactly: the node signs its proposal and prevote (it holds 30 of 105 power, so no
 * quorum forms and it stays there), stops cleanly, and the signer state file is put back as it was before
 * it signed anything, as if those writes never landed.
 */
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function otherValidator(power: number): Validator {
  const pubkey = publicKeyOf(generateSecretKey());
  return { address: addressFromPublicKey(pubkey), pubkey, power };
}

describe("a WAL replay re-sends its signatures only once the signer state covers them", () => {
  it("the signer state on disk is at or past each replayed message before it is sent", async () => {
    const t = tempDir("opl-walguard-");
    cleanup = t.cleanup;
    createValidatorKey(join(t.dir, "key.json"));
    const key = loadValidatorKey(join(t.dir, "key.json"));
    const statePath = join(t.dir, "signer.json");
    const walPath = join(t.dir, "cs.wal");
    // The highest power proposes first: this validator, below a third of the total.
    const self = { address: key.address, pubkey: key.publicKey, power: 30 };
    const validators = [self, ...[25, 25, 25].map(otherValidator)];
    const start = (network?: { broadcast(m: ConsensusMessage): void }) => {
      const signer = new GuardedSigner(key, statePath, join(t.dir, "audit.log"));
      const app = new MemoryApp(validators);
      const fatal: unknown[] = [];
      const driver = new ConsensusDriver({
        app,
        network,
        rebroadcastMs: 20,
        signer,
        walPath,
        timeouts: SLOW_TIMEOUTS,
        commitTimeoutMs: 0,
        logger: pino({ level: "silent" }),
        onFatal: (err) => fatal.push(err),
      });
      return { signer, driver, fatal };
    };

    // Before anything is signed: the state file says "nothing signed yet".
    const first = start();
    copyFileSync(statePath, join(t.dir, "signer-before.json"));
    await first.driver.start();
    await waitFor("the proposal and the prevote signed", () => (first.signer.lastSigned?.step === STEP_PREVOTE ? true : undefined), 10_000);
    await first.driver.stop();
    expect(first.fatal).toEqual([]);
    expect(readSignerState(statePath).step).toBe(STEP_PREVOTE);
    copyFileSync(join(t.dir, "signer-before.json"), statePath); // the signer's writes never landed

    const violations: string[] = [];
    const sent: string[] = [];
    const network = {
      broadcast(m: ConsensusMessage) {
        if (m.type !== "proposal" && m.type !== "compactProposal" && m.type !== "vote") return;
        const [height, round, step] =
          m.type !== "vote"
            ? [m.proposal.proposal.height, m.proposal.proposal.round, STEP_PROPOSE]
            : [m.vote.vote.height, m.vote.vote.round, m.vote.vote.type === PREVOTE ? STEP_PREVOTE : STEP_PRECOMMIT];
        sent.push(`${height}/${round}/${step}`);
        const s = readSignerState(statePath);
        if ((s.height - height || s.round - round || s.step - step) < 0) {
          violations.push(`${height}/${round}/${step} sent while the signer state on disk is at ${s.height}/${s.round}/${s.step}`);
        }
      },
    };
    const second = start(network);
    await second.driver.start();
    try {
      await waitFor("the replayed proposal and prevote sent", () =>
        sent.includes(`1/0/${STEP_PROPOSE}`) && sent.includes(`1/0/${STEP_PREVOTE}`) ? true : undefined, 10_000);
    } finally {
      await second.driver.stop();
    }
    expect(second.fatal).toEqual([]);
    expect(violations).toEqual([]);
    expect(readSignerState(statePath).step).toBe(STEP_PREVOTE);
  });
});
