import { join } from "node:path";
import { onTestFinished } from "vitest";
import { createValidatorKey, loadValidatorKey } from "../../node/validator-key.ts";
import { tempDir } from "./tmp.ts";

/**
 * A validator key in a temp dir, with where its signer state and audit log go: what a GuardedSigner test
 * needs. Called in a test; the dir is removed when the test finishes.
 */
export function signerFixture() {
  const tmp = tempDir();
  const keyPath = join(tmp.dir, "validator_key.json");
  createValidatorKey(keyPath);
  onTestFinished(() => tmp.cleanup());
  return {
    key: loadValidatorKey(keyPath),
    state: join(tmp.dir, "state.json"),
    audit: join(tmp.dir, "audit.log"),
  };
}
