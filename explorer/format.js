// How the explorer writes amounts and times. Amounts: base units (decimal strings) to OPEN exactly, with
// bigint (1 OPEN = 10^18 base units; no float ever touches an amount), the way the CLI prints them
// (state/units.ts formatOpen; test/unit/explorer-format.test.ts checks that both agree). Times: the viewer's
// own time zone, with its offset written out so a reader knows which one it is.

const DECIMALS = 18;
const ONE_OPEN = 10n ** 18n;

/**
 * "2500000000000000000" -> "2.5 OPEN"; no trailing zeros, no rounding.
 * @param {string | bigint} base
 * @returns {string}
 */
export function formatOpen(base) {
  const units = typeof base === "bigint" ? base : BigInt(base);
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / ONE_OPEN;
  const frac = (abs % ONE_OPEN).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac.length > 0 ? `.${frac}` : ""} OPEN`;
}

/** @param {number} n */
const two = (n) => String(n).padStart(2, "0");

/**
 * An ISO 8601 time in the viewer's zone: "2026-12-05 14:36:30 UTC+05:30".
 * @param {string} iso
 * @returns {string}
 */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const offset = -d.getTimezoneOffset(); // minutes east of UTC, at that moment (summer time included)
  const sign = offset < 0 ? "-" : "+";
  const zone = `UTC${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  return `${date} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/**
 * Milliseconds as seconds with up to 3 decimals: 1234 -> "1.234 s" (for block intervals; integer arithmetic).
 * @param {number} ms
 * @returns {string}
 */
export function formatSeconds(ms) {
  const whole = Math.round(ms);
  const frac = String(whole % 1000).padStart(3, "0").replace(/0+$/, "");
  return `${Math.floor(whole / 1000)}${frac.length > 0 ? `.${frac}` : ""} s`;
}

/**
 * A long hash for a table cell: the first 10 and last 6 digits (the page of the thing shows it whole).
 * @param {string} hex
 * @returns {string}
 */
export function shortHash(hex) {
  return hex.length <= 20 ? hex : `${hex.slice(0, 10)}…${hex.slice(-6)}`;
}

/**
 * Parts per million as a percentage, exactly: 500000 -> "50%", 333333 -> "33.3333%".
 * @param {number} ppm
 * @returns {string}
 */
export function formatPpm(ppm) {
  const frac = String(ppm % 10_000).padStart(4, "0").replace(/0+$/, "");
  return `${Math.floor(ppm / 10_000)}${frac.length > 0 ? `.${frac}` : ""}%`;
}
