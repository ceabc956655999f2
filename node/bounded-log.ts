import { appendFileSync, renameSync, statSync } from "node:fs";

/**
 * An append-only text log that cannot fill the disk: when the next line would take the file past
 * `maxBytes`, the file is renamed to `<path>.1` (replacing the previous one) and a new file is begun. At
 * most two files of at most `maxBytes` each exist (a single line longer than the limit still gets written,
 * alone in its file); lines are never split across them.
 */
export class BoundedLog {
  readonly path: string;
  private readonly maxBytes: number;
  private size: number;

  constructor(path: string, maxBytes: number) {
    this.path = path;
    this.maxBytes = maxBytes;
    try {
      this.size = statSync(path).size; // a restart continues the current file
    } catch {
      this.size = 0;
    }
  }

  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      renameSync(this.path, `${this.path}.1`);
      this.size = 0;
    }
    appendFileSync(this.path, line);
    this.size += bytes;
  }
}
