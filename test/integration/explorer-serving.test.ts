import { readdirSync, statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPLORER_CSP, EXPLORER_DIR, EXPLORER_FILES } from "../../rpc/explorer-files.ts";
import { httpRequest } from "../helpers/http-request.ts";
import { startTestChain, type TestChain } from "../helpers/in-process-node.ts";

/**
 * The explorer's files as the node serves them over real HTTP: the page at GET / for a browser (JSON for a
 * client that asks for it), each file of the fixed allow-list with its content type, the security and caching
 * headers, and nothing else from disk, whatever the path tries.
 */
let chain: TestChain;
beforeAll(async () => {
  chain = await startTestChain({ blockIntervalMs: 1000 });
});
afterAll(async () => {
  await chain?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => httpRequest(`${chain.node.rpc.url}${path}`, { headers });
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

describe("the explorer served by the node", () => {
  it("GET / gives a browser the explorer's page, with a CSP that allows no inline script", async () => {
    const page = await get("/", { accept: BROWSER_ACCEPT });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("<script type=\"module\" src=\"/explorer/app.js\"></script>");
    expect(page.headers["content-security-policy"]).toBe(EXPLORER_CSP);
    expect(EXPLORER_CSP).toContain("script-src 'self'");
    expect(EXPLORER_CSP).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    // The same port still describes itself to a JSON client.
    const json = await get("/", { accept: "application/json" });
    expect(JSON.parse(json.body)).toMatchObject({ chainId: chain.chainId });
  });

  it("serves every file of the allow-list with its content type, an ETag, and 304 when it is unchanged", async () => {
    const types: Record<string, RegExp> = {
      html: /^text\/html; charset=utf-8$/,
      css: /^text\/css; charset=utf-8$/,
      js: /^text\/javascript; charset=utf-8$/,
      svg: /^image\/svg\+xml$/,
    };
    for (const file of EXPLORER_FILES) {
      const answer = await get(`/explorer/${file}`);
      expect(answer.status, file).toBe(200);
      expect(answer.headers["content-type"], file).toMatch(types[file.split(".").pop() as string]);
      expect(answer.headers["cache-control"], file).toBe("no-cache");
      const etag = String(answer.headers.etag);
      expect(etag, file).toMatch(/^"[0-9a-f]{32}"$/);
      const again = await get(`/explorer/${file}`, { "if-none-match": etag });
      expect(again.status, file).toBe(304);
      expect(again.body).toBe("");
    }
  });

  it("the allow-list is exactly the explorer's files (a new one cannot be forgotten, nothing else is served)", () => {
    // Not served: the type-check's files (the tsconfig, the RPC answers' declared types).
    const onDisk = (readdirSync(EXPLORER_DIR, { recursive: true }) as string[])
      .filter((name) => statSync(`${EXPLORER_DIR}${name}`).isFile() && name !== "tsconfig.json" && !name.endsWith(".d.ts"))
      .sort();
    expect([...EXPLORER_FILES].sort()).toEqual(onDisk);
  });

  it("no path reaches another file: traversal, encodings and files outside the list answer 404", async () => {
    const tries = [
      "/explorer/../package.json",
      "/explorer/%2e%2e/package.json",
      "/explorer/..%2fpackage.json",
      "/explorer/%2E%2E%2Fpackage.json",
      "/explorer//etc/passwd",
      "/explorer/tsconfig.json",
      "/explorer/",
      "/explorer",
      "/explorer/app.js/",
      "/explorer/APP.JS",
      "/package.json",
      "/README.md",
      "/..%2f..%2fetc%2fpasswd",
    ];
    for (const path of tries) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers["content-type"], path).toMatch(/^application\/json/);
      expect(answer.body, path).not.toContain("opl-node\",\n"); // not package.json's text
    }
  });
});
