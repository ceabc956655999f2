import { afterEach, describe, expect, it } from "vitest";
import { initHome } from "../../node/init.ts";
import { type Block, commitHash } from "../../proto/block.ts";
import { openBuilder } from "../helpers/built-chain.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * A block's last commit is not verified again when it is the very commit this node verified as it committed
 * the previous block (the same hash, so the same signatures): block sync would otherwise check each commit
 * twice. Anything else it carries is verified: a forged signature under a matching header is refused.
 */
const tmp = tempDir("opl-lastcommit-");
afterEach(() => tmp.cleanup());

describe("the last commit a block carries", () => {
  it("the commit verified at the previous block is taken; a forged one is refused", async () => {
    await initHome({ home: tmp.dir, chainId: "opl-lastcommit-1", moniker: "v" });
    const builder = await openBuilder(tmp.dir);
    try {
      await builder.next([]);
      await builder.next([]);
      const block = await builder.propose([]);
      expect(await builder.app.validate(block)).toEqual({ valid: true });

      const verified = block.lastCommit;
      if (verified === undefined) throw new Error("block 3 has no last commit");
      const signature = verified.signatures[0].signature.slice();
      signature[0] ^= 1;
      const forgedCommit = { ...verified, signatures: [{ ...verified.signatures[0], signature }] };
      const forged: Block = {
        ...block,
        header: { ...block.header, lastCommitHash: commitHash(forgedCommit) },
        lastCommit: forgedCommit,
      };
      const result = await builder.app.validate(forged);
      expect(result.valid).toBe(false);
      expect((result as { reason: string }).reason).toMatch(/last commit: commit signature from .* is invalid/);
    } finally {
      await builder.close();
    }
  });
});
