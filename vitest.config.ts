import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration and e2e tests start real nodes (LevelDB, HTTP, processes): give them room, and run files
    // in parallel only as far as two cores allow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    // Every node a test starts checks each RPC result against its method's result schema (rpc/dispatch.ts):
    // what the node sends cannot drift from what rpc_discover documents without some test failing.
    env: { OPL_CHECK_RPC_RESULTS: "1" },
    // .ci/run asks for a JSON report too, to print the closing "N passed, N failed" line.
    reporters: process.env.OPL_TEST_RESULTS
      ? ["default", ["json", { outputFile: process.env.OPL_TEST_RESULTS }]]
      : ["default"],
  },
});
