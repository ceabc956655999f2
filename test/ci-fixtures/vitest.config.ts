import { defineConfig } from "vitest/config";
import project from "../../vitest.config.ts";

// The project's configuration (its JSON report under OPL_TEST_RESULTS included) over the fixtures of
// test/integration/ci-failure-count.test.ts instead of the tests: files that fail in every way .ci/run counts.
export default defineConfig({ test: { ...project.test, include: ["test/ci-fixtures/*.fixture.ts"] } });
