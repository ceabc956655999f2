import type { Command } from "commander";
import type { RpcClient } from "../../rpc/client.ts";
import { RpcError } from "../../rpc/errors.ts";
import { action, parsePositiveInt, resolveRpcUrl } from "../cli-util.ts";

/** 0.001 OPEN: 1 OPEN pays the fee of a thousand transfers. */
export const DEFAULT_FEE = "0.001";

interface TransferOpts {
  home: string;
  from: string;
  to: string;
  amount: string;
  fee: string;
  rpc?: string;
  chainId?: string;
  nonce?: string;
  wait?: boolean;
  timeout: string;
  signOnly?: boolean;
}

interface TxGetReply {
  height: number;
  index: number;
  result: { code: number; log: string };
}

/** Polls tx_get until the tx is included or the timeout passes. */
async function waitForInclusion(client: RpcClient, hash: string, timeoutMs: number): Promise<TxGetReply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await client.call<TxGetReply>("tx_get", { hash });
    } catch (err) {
      if (!(err instanceof RpcError) || (err.data as { reason?: string })?.reason !== "TX_NOT_FOUND")
        throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`transaction ${hash} was not included within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function registerTx(program: Command): void {
  const tx = program.command("tx").description("Build, sign and submit transactions.");

  tx.command("transfer")
    .description(
      "Send OPEN from a keyring key to an address. Amounts are OPEN as exact decimals (2.5 = 2.5 OPEN = " +
      "2500000000000000000 base units). Prints the transaction hash.",
    )
    .requiredOption("--home <dir>", "home directory holding the keyring")
    .requiredOption("--from <name>", "name of the sending key in the keyring")
    .requiredOption("--to <address>", "recipient address (opl1...)")
    .requiredOption("--amount <OPEN>", "amount in OPEN, e.g. 2.5")
    .option("--fee <OPEN>", "fee in OPEN, paid to the block proposer", DEFAULT_FEE)
    .option("--rpc <url>", "node JSON-RPC URL (default: rpc.listen of --home's config.toml)")
    .option("--nonce <n>", "sender nonce (default: asked from the node); needed with --sign-only offline")
    .option("--chain-id <id>", "chain id (default: asked from the node)")
    .option("--wait", "wait until the transaction is included; exit non-zero if it failed")
    .option("--timeout <seconds>", "how long --wait waits", "30")
    .option("--sign-only", "print the base64 signed transaction instead of sending it")
    .action(
      action(async (opts: TransferOpts) => {
        const { decodeAddress } = await import("../../crypto/address.ts");
        const { toBase64, toHex } = await import("../../crypto/bytes.ts");
        const { Keyring } = await import("../../node/keyring.ts");
        const { RpcClient } = await import("../../rpc/client.ts");
        const { buildTransfer, portableSigner } = await import("../../rpc/tx-builder.ts");
        const { describeAmount, parseOpen } = await import("../../state/units.ts");
        const key = new Keyring(opts.home).get(opts.from);
        decodeAddress(opts.to); // fail early, with the address parser's message
        const amount = parseOpen(opts.amount);
        const fee = parseOpen(opts.fee);
        const client = new RpcClient(resolveRpcUrl(opts));
        const chainId = opts.chainId ?? (await client.call<{ chainId: string }>("node_status")).chainId;
        const nonce =
          opts.nonce !== undefined
            ? parsePositiveInt(opts.nonce, "--nonce")
            : (await client.call<{ nonce: number }>("account_get", { address: key.address })).nonce;
        const built = buildTransfer(
          { chainId, publicKey: key.publicKey, nonce, fee, to: opts.to, amount },
          portableSigner(key.secretKey),
        );
        if (opts.signOnly) {
          console.log(toBase64(built.bytes));
          return;
        }
        const { hash } = await client.call<{ hash: string }>("tx_submit", { tx: toBase64(built.bytes) });
        if (hash !== toHex(built.hash))
          throw new Error(`node answered hash ${hash}, expected ${toHex(built.hash)}`);
        console.log(hash);
        if (!opts.wait) return;
        const included = await waitForInclusion(
          client,
          hash,
          parsePositiveInt(opts.timeout, "--timeout") * 1000,
        );
        if (included.result.code !== 0) {
          console.error(
            `failed in block ${included.height}: ${included.result.log} (code ${included.result.code})`,
          );
          process.exitCode = 1;
          return;
        }
        console.log(
          `included in block ${included.height} (index ${included.index}): sent ${describeAmount(amount)}`,
        );
      }),
    );
}
