/** The node software's version: node_getStatus, GET /, and the OpenRPC document's info.version. */
export const NODE_VERSION = "0.1.0";
