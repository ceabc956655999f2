import { expect, it } from "vitest";
import { BlockBytes } from "../../node/block-bytes.ts";
import { encodeBlock } from "../../proto/block.ts";
import { smallBlock } from "../helpers/max-block.ts";

it("a block's bytes are encoded once, or kept as received", () => {
  const bytes = new BlockBytes();
  const block = smallBlock({ height: 3 });
  const first = bytes.of(block);
  expect(first).toEqual(encodeBlock(block));
  expect(bytes.of(block)).toBe(first);
  const received = smallBlock({ height: 4 });
  const wire = encodeBlock(received);
  bytes.set(received, wire);
  expect(bytes.of(received)).toBe(wire);
});
