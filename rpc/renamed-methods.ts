/**
 * The methods renamed to `<namespace>_<verb><Thing>`, by new name: the old name a node from before the rename
 * answers (and a current node still does, as a deprecated alias: rpc/methods/deprecated.ts). The typed client
 * falls back to the old name when a node says it does not know the new one (rpc/typed-client.ts). No imports:
 * the typed client runs in a browser too.
 */
export const OLD_METHOD_NAMES = {
  node_getStatus: "node_status",
  node_getPeers: "node_peers",
  consensus_getState: "consensus_state",
  consensus_getEvidence: "consensus_evidence",
} as const;
