import { ADDRESS_LENGTH } from "../crypto/address.ts";
import { CodecError, decodeAmount, encodeAmount, type Fields, fixedBytes, uint } from "./codec.ts";

/**
 * The governance module's messages (state/modules/gov/): typed form and conversion to and from the
 * protobufjs fields of proto/opl.proto. Shapes only; the limits (text sizes, list lengths) are the module's
 * stateless check (state/modules/gov/check.ts).
 */

export type VoteOption = "yes" | "abstain" | "no" | "no_with_veto";
/** As Cosmos SDK numbers them (0 is "no option": not a vote). */
export const VOTE_OPTION_NUMBER: Record<VoteOption, number> = { yes: 1, abstain: 2, no: 3, no_with_veto: 4 };
const OPTION_OF_NUMBER = new Map(Object.entries(VOTE_OPTION_NUMBER).map(([k, v]) => [v, k as VoteOption]));

export function voteOptionFrom(n: unknown): VoteOption {
  const option = OPTION_OF_NUMBER.get(uint(n, "vote option"));
  if (option === undefined) throw new CodecError(`vote option ${String(n)} is unknown (1 yes, 2 abstain, 3 no, 4 no with veto)`);
  return option;
}

export interface ParamChangeItem {
  key: string;
  value: string;
}

/** What a proposal does if it passes. */
export type ProposalContent =
  | { kind: "text" }
  | { kind: "params"; changes: ParamChangeItem[] }
  | { kind: "spend"; to: Uint8Array; amount: bigint }
  | { kind: "spend_datanet"; datanetId: number; version: number; amount: bigint }
  | { kind: "upgrade"; name: string; height: number };

export interface SubmitProposalMsg {
  type: "submit_proposal";
  title: string;
  description: string;
  deposit: bigint;
  content: ProposalContent;
}

export interface DepositMsg {
  type: "deposit";
  proposalId: number;
  amount: bigint;
}

export interface VoteMsg {
  type: "vote";
  proposalId: number;
  option: VoteOption;
  /** Validators the sender's own stake with them votes with this vote (else it follows theirs). */
  validators: Uint8Array[];
}

export type GovMsg = SubmitProposalMsg | DepositMsg | VoteMsg;

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** The fields of MsgSubmitProposal (also a GovProposal record's `content`). */
export function proposalFields(m: {
  title: string;
  description: string;
  deposit: bigint;
  content: ProposalContent;
}): Fields {
  const c = m.content;
  const f: Fields = { title: m.title, description: m.description, deposit: encodeAmount(m.deposit) };
  if (c.kind === "params") f.changes = c.changes.map((ch) => ({ key: ch.key, value: ch.value }));
  if (c.kind === "spend") Object.assign(f, { spendTo: c.to, spendAmount: encodeAmount(c.amount) });
  if (c.kind === "spend_datanet")
    Object.assign(f, { spendDatanetId: c.datanetId, spendVersion: c.version, spendAmount: encodeAmount(c.amount) });
  if (c.kind === "upgrade") Object.assign(f, { upgradeName: c.name, upgradeHeight: c.height });
  return f;
}

/** A proposal's kind is which fields it sets; setting fields of two kinds is refused. */
export function proposalFrom(f: Fields): Omit<SubmitProposalMsg, "type"> {
  const changes = ((f.changes as Fields[] | undefined) ?? []).map((ch) => ({ key: str(ch.key), value: str(ch.value) }));
  const spendTo = fixedBytes(f.spendTo, ADDRESS_LENGTH, "spend recipient", true);
  const datanetId = uint(f.spendDatanetId, "spend datanet id");
  const version = uint(f.spendVersion, "spend datanet version");
  const amount = decodeAmount(f.spendAmount, "spend amount");
  const name = str(f.upgradeName);
  const height = uint(f.upgradeHeight, "upgrade height");
  const kinds: ProposalContent[] = [];
  if (changes.length > 0) kinds.push({ kind: "params", changes });
  if (spendTo.byteLength > 0) kinds.push({ kind: "spend", to: spendTo, amount });
  if (datanetId > 0 || version > 0) kinds.push({ kind: "spend_datanet", datanetId, version, amount });
  if (name !== "" || height > 0) kinds.push({ kind: "upgrade", name, height });
  if (kinds.length > 1) throw new CodecError("a proposal has one kind: its fields name more than one");
  const content = kinds[0] ?? { kind: "text" };
  if (amount > 0n && content.kind !== "spend" && content.kind !== "spend_datanet")
    throw new CodecError("spend amount is only for a treasury spend");
  return { title: str(f.title), description: str(f.description), deposit: decodeAmount(f.deposit, "deposit"), content };
}

/** The oneof cases of TxBody.msg for governance (merged into MODULE_MSG_CODECS). */
export const GOV_MSG_CODECS = {
  submit_proposal: {
    field: "submitProposal",
    toFields: (m: GovMsg): Fields => proposalFields(m as SubmitProposalMsg),
    fromFields: (f: Fields): GovMsg => ({ type: "submit_proposal", ...proposalFrom(f) }),
  },
  deposit: {
    field: "deposit",
    toFields: (m: GovMsg): Fields => ({
      proposalId: (m as DepositMsg).proposalId,
      amount: encodeAmount((m as DepositMsg).amount),
    }),
    fromFields: (f: Fields): GovMsg => ({
      type: "deposit",
      proposalId: uint(f.proposalId, "proposal id"),
      amount: decodeAmount(f.amount, "deposit amount"),
    }),
  },
  vote: {
    field: "vote",
    toFields: (m: GovMsg): Fields => {
      const v = m as VoteMsg;
      return { proposalId: v.proposalId, option: VOTE_OPTION_NUMBER[v.option], validators: v.validators };
    },
    fromFields: (f: Fields): GovMsg => ({
      type: "vote",
      proposalId: uint(f.proposalId, "proposal id"),
      option: voteOptionFrom(f.option),
      validators: ((f.validators as unknown[] | undefined) ?? []).map((a, i) =>
        fixedBytes(a, ADDRESS_LENGTH, `validators[${i}]`),
      ),
    }),
  },
};
