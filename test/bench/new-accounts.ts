import { encodeAddress } from "../../crypto/address.ts";
import type { RpcClient } from "../../rpc/client.ts";
import { freshAddress } from "./load.ts";

/**
 * --new-accounts: every transfer goes to an address nobody has used, so every committed transfer creates an
 * account. The recipients are remembered so that the chain can be asked, after the run, whether they exist.
 */
export class NewAccounts {
  readonly created: Uint8Array[] = [];

  /** A recipient for the next transfer (a fresh address each time). */
  readonly next = (): Uint8Array => {
    const address = freshAddress();
    this.created.push(address);
    return address;
  };

  /**
   * Asks the chain for up to `sample` of the recipients (spread over the whole run) and throws unless each
   * holds exactly what the transfer to it sent: then those transfers did create their accounts. Returns how
   * many were checked.
   */
  async check(rpc: RpcClient, amount: bigint, sample: number): Promise<number> {
    const stride = Math.max(1, Math.floor(this.created.length / sample));
    const picked = this.created.filter((_, i) => i % stride === 0).slice(0, sample);
    const replies = await rpc.batch(
      picked.map((a) => ({ method: "account_get", params: { address: encodeAddress(a) } })),
    );
    replies.forEach((r, i) => {
      const balance = (r.result as { balance?: string } | undefined)?.balance;
      if (balance !== amount.toString()) {
        throw new Error(
          `new accounts: ${encodeAddress(picked[i])} holds ${balance ?? r.error?.message}, not the ${amount} sent to it`,
        );
      }
    });
    return picked.length;
  }
}
