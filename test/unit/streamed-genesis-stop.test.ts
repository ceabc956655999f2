import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeAddress } from "../../crypto/address.ts";
import { fileSha256, writeStreamedGenesis } from "../../node/genesis-accounts.ts";
import { GenesisError } from "../../node/genesis-file.ts";
import { StartStopped } from "../../node/run-node.ts";
import { ChainDb } from "../../state/store/chain-db.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { appGenesis } from "../helpers/chain-app-fixture.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A streamed genesis write stopped by SIGTERM ends as StartStopped (a clean exit): but only the stop itself.
 * An error of its own (the wrong accounts file, an I/O error) raised while a stop was asked for stays that
 * error, so the operator sees what is wrong rather than a clean exit.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(rightFile = false) {
  const tmp = tempDir("opl-genesis-stop-");
  cleanups.push(tmp.cleanup);
  const db = await ChainDb.open(join(tmp.dir, "db"));
  cleanups.push(() => db.close());
  const path = join(tmp.dir, "accounts.jsonl");
  writeFileSync(path, `${JSON.stringify({ address: encodeAddress(new TestAccount().address), balance: "7" })}\n`);
  const sha256 = rightFile ? await fileSha256(path) : "0".repeat(64);
  const genesis = { ...appGenesis([new TestAccount()], 10n ** 20n).genesis, accountsFile: { path, sha256, count: 1 } };
  return { db, genesis };
}

describe("a streamed genesis write after a stop was asked for", () => {
  it("a wrong accounts file is still reported as such, not as a clean stop", async () => {
    const { db, genesis } = await setup();
    const stop = new AbortController();
    stop.abort();
    const write = writeStreamedGenesis(db, genesis, "identity", undefined, { signal: stop.signal });
    await expect(write).rejects.toBeInstanceOf(GenesisError);
  });

  it("the stop itself is a clean stop (StartStopped)", async () => {
    const { db, genesis } = await setup(true);
    const stop = new AbortController();
    stop.abort();
    const write = writeStreamedGenesis(db, genesis, "identity", undefined, { signal: stop.signal });
    await expect(write).rejects.toBeInstanceOf(StartStopped);
  });
});
