import { describe, expect, it } from "vitest";
import { browserHostRefusal, nodeHostName } from "../../rpc/host-names.ts";

/** The DNS-rebinding check shared by the RPC port (POST, GET), /ws and the metrics listener (rpc/host-names.ts). */

const loopback = { listenHost: "127.0.0.1", allowedOrigins: [] };

describe("nodeHostName", () => {
  it("takes localhost and IP literals, with or without a port, and no other name by default", () => {
    for (const host of ["localhost", "localhost:26657", "127.0.0.1:26657", "[::1]:26657", "10.1.2.3", "0.0.0.0:1"]) {
      expect(nodeHostName(host, loopback), host).toBe(true);
    }
    for (const host of ["evil.example:26657", "localhost.evil.example", "127.0.0.1.evil.example", "", "a b"]) {
      expect(nodeHostName(host, loopback), host).toBe(false);
    }
  });

  it("takes rpc.listen's host when it is a name, and the hosts of rpc.cors_allowed_origins (any port)", () => {
    const names = { listenHost: "node.lan", allowedOrigins: ["https://app.example", "*"] };
    expect(nodeHostName("node.lan:26657", names)).toBe(true);
    expect(nodeHostName("app.example:26657", names)).toBe(true);
    expect(nodeHostName("evil.example:26657", names)).toBe(false);
  });
});

describe("browserHostRefusal", () => {
  it("refuses a browser's request under a rebound name, naming the setting that allows it", () => {
    const why = browserHostRefusal({ origin: "http://evil.example:26657", host: "evil.example:26657" }, loopback);
    expect(why).toContain("DNS rebinding");
    expect(why).toContain("add their origin (http://evil.example:26657) to rpc.cors_allowed_origins");
    expect(browserHostRefusal({ origin: "null", host: "evil.example:26657" }, loopback)).toContain("scheme://host:port");
    expect(browserHostRefusal({ origin: "http://evil.example" }, loopback)).toContain("(no Host header)");
  });

  it("lets through clients without Origin, the node's names, and origins CORS allows anyway", () => {
    expect(browserHostRefusal({ host: "node0:26657" }, loopback)).toBeUndefined();
    expect(browserHostRefusal({ origin: "http://localhost:26657", host: "localhost:26657" }, loopback)).toBeUndefined();
    const app = { listenHost: "127.0.0.1", allowedOrigins: ["https://app.example"] };
    expect(browserHostRefusal({ origin: "https://app.example", host: "rpc.internal" }, app)).toBeUndefined();
    const any = { listenHost: "127.0.0.1", allowedOrigins: ["*"] };
    expect(browserHostRefusal({ origin: "http://evil.example", host: "evil.example" }, any)).toBeUndefined();
  });

  it("takes a same-origin GET for a browser's without an Origin: by Sec-Fetch-Site, or over plain http by its User-Agent", () => {
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
    const evil = "evil.example:26657";
    // Over plain http to a name, Chromium sends neither Origin nor Sec-Fetch-* on a page's GET: its User-Agent.
    expect(browserHostRefusal({ "host": evil, "user-agent": chrome }, loopback)).toContain("a page of its own origin");
    expect(browserHostRefusal({ "host": evil, "sec-fetch-site": "same-origin" }, loopback)).toContain("DNS rebinding");
    // A person opening the address (Sec-Fetch-Site: none) is no page's doing; scripts are not browsers.
    expect(browserHostRefusal({ "host": evil, "user-agent": chrome, "sec-fetch-site": "none" }, loopback)).toBeUndefined();
    for (const ua of ["curl/8.5.0", "Prometheus/2.53.0", "python-requests/2.31", "node"]) {
      expect(browserHostRefusal({ "host": evil, "user-agent": ua }, loopback), ua).toBeUndefined();
    }
    // The node's own names are served to browsers; "*" in rpc.cors_allowed_origins serves any name.
    expect(browserHostRefusal({ "host": "127.0.0.1:26657", "user-agent": chrome }, loopback)).toBeUndefined();
    const any = { listenHost: "127.0.0.1", allowedOrigins: ["*"] };
    expect(browserHostRefusal({ "host": evil, "user-agent": chrome }, any)).toBeUndefined();
    const app = { listenHost: "127.0.0.1", allowedOrigins: ["http://node.lan:26657"] };
    expect(browserHostRefusal({ "host": "node.lan:26657", "user-agent": chrome }, app)).toBeUndefined();
    expect(browserHostRefusal({ "host": evil, "user-agent": chrome }, app)).toContain("DNS rebinding");
  });
});
