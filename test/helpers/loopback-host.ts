import { generateKeyPair } from "@libp2p/crypto/keys";
import { createP2pHost, type P2pHost } from "../../p2p/host.ts";

/** A libp2p host of a fresh key listening on 127.0.0.1 (a free port): the caller stops it. */
export async function loopbackHost(): Promise<P2pHost> {
  const privateKey = await generateKeyPair("Ed25519");
  return createP2pHost({ privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], agentVersion: "test" });
}
