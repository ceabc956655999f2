import { existsSync } from "node:fs";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { fromBase64, toBase64 } from "../crypto/bytes.ts";
import { readSecretJsonFile, writeSecretFile } from "./key-file.ts";

/**
 * The node's network identity (libp2p ed25519 key), separate from the validator's signing key so that a
 * node can be re-keyed on the network without touching consensus. Its peer id is node_getStatus.nodeId.
 */
interface NodeKeyFile {
  type: "ed25519";
  privateKey: string; // libp2p protobuf encoding, base64
}

export async function createNodeKey(path: string): Promise<void> {
  const key = await generateKeyPair("Ed25519");
  const file: NodeKeyFile = { type: "ed25519", privateKey: toBase64(privateKeyToProtobuf(key)) };
  writeSecretFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

export function loadNodeKey(path: string): { privateKey: PrivateKey; peerId: string } {
  if (!existsSync(path)) throw new Error(`node key not found at ${path} (run opl init)`);
  const file = readSecretJsonFile<NodeKeyFile>(path, "node key");
  const raw = fromBase64(file.privateKey ?? "");
  if (raw === undefined) throw new Error(`node key ${path} is damaged`);
  const privateKey = privateKeyFromProtobuf(raw);
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
}
