import { type GovVote, govVoteCodec } from "../../../proto/gov-records.ts";
import type { Overlay } from "../../view.ts";
import { voteKey } from "./keys.ts";

export function setVote(view: Overlay, id: number, voter: Uint8Array, vote: GovVote): void {
  view.set(voteKey(id, voter), govVoteCodec.encode(vote));
}
