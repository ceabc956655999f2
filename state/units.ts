/** OPEN has 18 decimals: 1 OPEN = 10^18 base units. Conversions are exact (no floating point). */
export const DECIMALS = 18;
export const ONE_OPEN = 10n ** 18n;

const OPEN_RE = /^(\d+)(?:\.(\d+))?$/;

/** Parses "2.5" (OPEN) into base units; throws with a clear message for anything that is not exact. */
export function parseOpen(text: string): bigint {
  const m = OPEN_RE.exec(text.trim());
  if (m === null)
    throw new Error(`"${text}" is not an amount of OPEN (use digits and at most one ".", e.g. 2.5)`);
  const [, whole, frac = ""] = m;
  if (frac.length > DECIMALS) throw new Error(`"${text}" has more than ${DECIMALS} decimals`);
  return BigInt(whole) * ONE_OPEN + BigInt(frac.padEnd(DECIMALS, "0"));
}

/** Formats base units as OPEN with no trailing zeros: 2500000000000000000n -> "2.5". */
export function formatOpen(base: bigint): string {
  const negative = base < 0n;
  const abs = negative ? -base : base;
  const whole = abs / ONE_OPEN;
  const frac = (abs % ONE_OPEN).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac.length > 0 ? `.${frac}` : ""}`;
}

/** "2.5 OPEN (2500000000000000000 base units)" */
export function describeAmount(base: bigint): string {
  return `${formatOpen(base)} OPEN (${base} base units)`;
}
