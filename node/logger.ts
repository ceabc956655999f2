import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export interface LogOptions {
  level: string;
  format: "auto" | "json" | "pretty";
  /** Write to this file (JSON) instead of stderr. */
  file?: string;
}

/** pino logs: JSON by default, readable when stderr is a terminal (or asked for). */
export function createLogger(opts: LogOptions): Logger {
  const base = { level: opts.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (opts.file !== undefined)
    return pino(base, pino.destination({ dest: opts.file, mkdir: true, sync: false }));
  const wantPretty = opts.format === "pretty" || (opts.format === "auto" && process.stderr.isTTY === true);
  if (wantPretty)
    return pino(base, pretty({ destination: 2, colorize: true, translateTime: "HH:MM:ss.l", sync: true }));
  return pino(base, pino.destination({ dest: 2, sync: false }));
}
