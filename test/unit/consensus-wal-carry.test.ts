import { join } from "node:path";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { type Input, PREVOTE } from "../../consensus/engine/types.ts";
import { ConsensusWal } from "../../node/consensus-wal.ts";
import type { WalRecord } from "../../node/consensus-wal-record.ts";
import { readWal } from "../../node/wal.ts";
import { tempDir } from "../helpers/tmp.ts";

/**
 * Next-height inputs across the WAL's replacement, now that the file is replaced at the decision (while the
 * engine is still at the decided height) and again, as a no-op, when the next height starts: an input for
 * the next height that arrives before the decision is carried into the new file once; one that arrives after
 * it is appended to the new file, and not carried again; none is lost or recorded twice.
 */
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

const vote = (height: number, validator: number): Exclude<Input, { type: "startHeight" }> => ({
  type: "vote",
  vote: { type: PREVOTE, height, round: 0, value: null, validator },
});

/** What the file holds: its height record's height, then each input's "height/validator". */
function contents(path: string): string[] {
  return readWal<WalRecord>(path).records.map((r) =>
    r.t === "height" ? `height ${r.height}` : r.t === "input" && r.input.type === "vote" ? `${r.input.vote.height}/${r.input.vote.validator}` : r.t,
  );
}

it("a next-height input is in the next height's file exactly once, whether it came before or after the decision", async () => {
  const t = tempDir("opl-walcarry-");
  cleanup = t.cleanup;
  const path = join(t.dir, "cs.wal");
  const wal = new ConsensusWal();
  wal.open(path, undefined, pino({ level: "silent" }));
  const record = (input: Exclude<Input, { type: "startHeight" }>, engineHeight: number) =>
    wal.recordInput(input, engineHeight, undefined, () => new Uint8Array(0));

  await wal.beginHeight(1);
  record(vote(1, 0), 1);
  record(vote(2, 1), 1); // before the decision: in height 1's file, and carried
  expect(contents(path)).toEqual(["height 1", "1/0", "2/1"]);

  await wal.beginHeight(2); // the decision of height 1 (the engine is still at 1)
  record(vote(2, 2), 1); // after the decision: straight into height 2's file
  await wal.beginHeight(2); // height 2 starts: the file is begun already
  record(vote(2, 3), 2);
  record(vote(3, 0), 2); // the next height's, again carried
  expect(contents(path)).toEqual(["height 2", "2/1", "2/2", "2/3", "3/0"]);

  await wal.beginHeight(3);
  expect(contents(path)).toEqual(["height 3", "3/0"]);
  await wal.close();
});
