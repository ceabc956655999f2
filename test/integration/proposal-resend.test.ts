import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Application, ChainInfo, ProposeRequest, ValidationResult } from "../../consensus/application.ts";
import { ConsensusDriver, type ConsensusNetwork } from "../../node/consensus-driver.ts";
import { GuardedSigner } from "../../node/signer.ts";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { type Block, commitHash, type Validator } from "../../proto/block.ts";
import type { ConsensusMessage } from "../../proto/p2p.ts";
import { smallBlock } from "../helpers/max-block.ts";
import { tempDir, waitFor } from "../helpers/tmp.ts";

/**
 * The proposer sends its proposal once as new and then, while the round lasts, again as a re-send: the
 * network must be told which is which, since a re-send is not queued for a peer whose stream still carries
 * the first copy (on a slow link, votes would otherwise wait behind megabytes of duplicate blocks).
 */
class ProposingApp implements Application {
  private readonly validator: Validator;
  constructor(validator: Validator) {
    this.validator = validator;
  }

  info(): ChainInfo {
    const empty = new Uint8Array(0);
    return { chainId: "opl-max-1", height: 0, lastBlockHash: empty, lastBlockTimeMs: 0, lastCommit: undefined };
  }

  validators(): Validator[] {
    return [this.validator];
  }

  validatorSetSince(): number {
    return 1;
  }

  async propose(req: ProposeRequest): Promise<Block> {
    const fields = { height: req.height, timeMs: req.timeMs, proposerAddress: req.proposer };
    return smallBlock({ ...fields, lastCommitHash: commitHash(undefined) });
  }

  async validate(): Promise<ValidationResult> {
    return { valid: false, reason: "held back: the round must last while re-sends are watched" };
  }

  async commit(): Promise<void> {}
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("proposal re-sends", () => {
  it("the first send of a proposal is new; the later ones are marked as re-sends", async () => {
    const tmp = tempDir("opl-resend-");
    cleanups.push(tmp.cleanup);
    createValidatorKey(join(tmp.dir, "key.json"));
    const key = loadValidatorKey(join(tmp.dir, "key.json"));
    const sent: { type: ConsensusMessage["type"]; resend: boolean }[] = [];
    const network: ConsensusNetwork = {
      broadcast: (m, opts) => sent.push({ type: m.type, resend: opts?.resend === true }),
    };
    const driver = new ConsensusDriver({
      app: new ProposingApp({ address: key.address, pubkey: key.publicKey, power: 10 }),
      network,
      rebroadcastMs: 20,
      signer: new GuardedSigner(key, join(tmp.dir, "signer.json"), join(tmp.dir, "audit.log")),
      walPath: join(tmp.dir, "cs.wal"),
      timeouts: {
        proposeMs: 30_000,
        proposeDeltaMs: 500,
        prevoteMs: 30_000,
        prevoteDeltaMs: 500,
        precommitMs: 30_000,
        precommitDeltaMs: 500,
      },
      commitTimeoutMs: 0,
      logger: pino({ level: "silent" }),
      onFatal: (err) => { throw err; },
    });
    await driver.start();
    cleanups.push(() => driver.stop());
    // Sent compact (tx hashes, not txs): the peers hold the txs already.
    const proposals = () => sent.filter((s) => s.type === "compactProposal");
    await waitFor("two re-sends of the proposal", () => (proposals().length >= 3 ? true : undefined));
    expect(proposals()[0].resend).toBe(false);
    expect(proposals().slice(1).every((s) => s.resend)).toBe(true);
    // Every third re-broadcast tick (each sends a status), not every one: a proposal is the largest frame.
    const ticks = sent.filter((s) => s.type === "status").length;
    expect(proposals().length - 1).toBeLessThanOrEqual(Math.ceil(ticks / 3));
  });
});
