import { formatOpen } from "../state/units.ts";

/**
 * `opl watch`'s human lines: one per notification, amounts in OPEN. Message fields and event attributes whose
 * names say they are amounts are shown in OPEN (the chain's JSON carries them as base-unit decimal strings).
 */
const AMOUNT_NAME = /amount|fee|stake|price|refund|reward|balance|deposit|tokens/i;

type Result = Record<string, unknown>;

function open(value: unknown): string {
  return typeof value === "string" && /^\d+$/.test(value) ? `${formatOpen(BigInt(value))} OPEN` : String(value);
}

function fields(obj: Record<string, unknown> | undefined, skip: ReadonlySet<string> = new Set()): string {
  if (obj === undefined) return "";
  return Object.entries(obj)
    .filter(([k, v]) => !skip.has(k) && v !== "" && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${AMOUNT_NAME.test(k) ? open(v) : typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

const short = (hash: unknown) => (typeof hash === "string" ? hash.slice(0, 12) : "-");

export function watchLine(r: Result): string {
  if (r.kind === "block") {
    return `block ${r.height}  ${r.time}  ${r.numTxs} txs  proposer ${r.proposer}  hash ${short(r.hash)}`;
  }
  if (r.kind === "event") {
    const where = r.txHash === null ? "block" : `tx ${short(r.txHash)} #${r.txIndex}`;
    return `event ${r.height}  ${where}  ${r.type}  ${fields(r.attributes as Record<string, unknown>)}`;
  }
  const tx = r.tx as { sender: string; fee: string; msg: Record<string, unknown> } | undefined;
  const result = r.result as { code: number; log: string } | undefined;
  const outcome = result === undefined || result.code === 0 ? "ok" : `failed (code ${result.code}: ${result.log})`;
  const msg = tx?.msg ?? {};
  return (
    `tx ${r.height} #${r.index}  ${String(msg.type)}  from ${tx?.sender}  ${fields(msg, new Set(["type"]))}  ` +
    `fee ${open(tx?.fee)}  ${outcome}  hash ${short(r.hash)}`
  ).replace(/ {3,}/g, "  ");
}
