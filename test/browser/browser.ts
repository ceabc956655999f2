import { existsSync, mkdirSync } from "node:fs";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { tempDir } from "../helpers/tmp.ts";

/**
 * Headless Chromium for the explorer's tests: Debian's package (never a downloaded browser), driven by
 * playwright-core, with a fresh profile in a temp dir and nothing that reaches the internet. A missing
 * executable fails the tests with the way to install it (.ci/run installs it on CI); it never skips them.
 */
export const CHROMIUM = process.env.OPL_CHROMIUM ?? "/usr/bin/chromium";

/** Where the screenshots go for a person to look at (gitignored). */
export const SCREENSHOT_DIR = "test-output/screenshots";

/** The viewer's zone the tests pick, with a half-hour offset so a time shown in UTC could not pass. */
export const VIEWER_TIME_ZONE = "Asia/Kolkata";
export const VIEWER_OFFSET_MS = (5 * 60 + 30) * 60_000;

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  context: BrowserContext;
  /** Every console error and uncaught page error so far, with the page's URL. */
  errors: string[];
  /** A new tab that records its console errors into `errors`. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** `args`: more Chromium switches (e.g. --host-resolver-rules, to point a name at 127.0.0.1 as DNS would). */
export async function launchBrowser(args: readonly string[] = []): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: the explorer's browser tests need it. Install Debian's package ` +
      "(`apt-get update && apt-get install -y chromium`; .ci/run does this) or set OPL_CHROMIUM to its path.",
    );
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const profile = tempDir("opl-chromium-");
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...ARGS, ...args],
    timezoneId: VIEWER_TIME_ZONE,
    viewport: { width: 1200, height: 900 },
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    newPage: async () => {
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`${page.url()}: console error: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught: ${e.message}`));
      return page;
    },
    close: async () => {
      await context.close();
      profile.cleanup();
    },
  };
}
