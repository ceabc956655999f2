import { generateKeyPair } from "@libp2p/crypto/keys";
import { createP2pHost, type P2pHost } from "../../p2p/host.ts";

/** A libp2p host of a fresh key listening on 127.0.0.1 (a free port): the caller stops it. */
export async function loopbackHost(): Promise<P2pHost> {
  const privateKey = await generateKeyPair("Ed25519");
  return createP2pHost({ privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], agentVersion: "test" });
}

/**
 * What a test makes and must undo: the hosts `host()` makes and whatever is passed to `defer`, undone by `undo()`
 * (the test file's afterEach) newest first, so what runs on a host stops before the host does.
 */
export class TestTeardown {
  private readonly undos: (() => Promise<void> | void)[] = [];

  defer(undo: () => Promise<void> | void): void {
    this.undos.push(undo);
  }

  async host(): Promise<P2pHost> {
    const h = await loopbackHost();
    this.defer(() => h.stop());
    return h;
  }

  async undo(): Promise<void> {
    for (const u of this.undos.splice(0).reverse()) await u();
  }
}
