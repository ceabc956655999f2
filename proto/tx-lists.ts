/**
 * Most items of any list in a transaction's message (curators, contributors, trainedOn, operators, weights,
 * a multi-send's outputs, a proposal's changes, a vote's validators), counted on the wire before the message
 * is decoded (decodeCanonical's walk, proto/wire-scan.ts). Module messages are decoded by protobufjs, an
 * object per item: a 16 KiB create_datanet of 8,000 empty curators decoded canonically in 1-2.5 ms (and only
 * then met the module's own limit), 15-30 signature verifies' worth, and a relay batch holds 256 of them.
 * At this cap a message costs well under a millisecond. The chain params that bound these lists
 * (datanets.maxCurators and maxContributors, models.maxTrainedOn and maxOperators, attribution.maxWeights)
 * may not exceed it (state/params-check.ts), so every tx the chain accepts decodes.
 */
export const MAX_TX_LIST_ITEMS = 1024;

/** decodeCanonical's caps for a TxBody: every list of every message, at MAX_TX_LIST_ITEMS. */
export const TX_BODY_LISTS = {
  "MsgCreateDatanet.curators": MAX_TX_LIST_ITEMS,
  "MsgCreateDatanet.contributors": MAX_TX_LIST_ITEMS,
  "MsgUpdateDatanet.curators": MAX_TX_LIST_ITEMS,
  "MsgUpdateDatanet.contributors": MAX_TX_LIST_ITEMS,
  "MsgRegisterModel.trainedOn": MAX_TX_LIST_ITEMS,
  "MsgPublishModelVersion.trainedOn": MAX_TX_LIST_ITEMS,
  "MsgSetModelOperators.add": MAX_TX_LIST_ITEMS,
  "MsgSetModelOperators.remove": MAX_TX_LIST_ITEMS,
  "MsgRecordInference.weights": MAX_TX_LIST_ITEMS,
  "MsgSubmitProposal.changes": MAX_TX_LIST_ITEMS,
  "MsgVote.validators": MAX_TX_LIST_ITEMS,
  "MsgMultiSend.outputs": MAX_TX_LIST_ITEMS,
} as const;
