// A plain object rather than defineConfig(): this project is CommonJS (no
// "type": "module") and vitest/config is an ES module, so only its types are
// imported here. Vitest bundles this file itself, so no import is needed at run time.
import type { ViteUserConfig } from "vitest/config" with { "resolution-mode": "import" };

const config: ViteUserConfig = {
  test: {
    environment: "node",
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Says once why the executed-policy tests (test/emulator) skip, or builds the emulator once.
    globalSetup: ["./test/emulator/global-setup.ts"],
    // One test spawns the real bin (tsx compiles the CLI on start), which takes a few seconds on a cold cache.
    // Tests never reach Azure (#19): DefaultAzureCredential is pinned to the Azure CLI credential, so it never
    // probes the managed-identity endpoint; tests that read ARM start a local stand-in and a stand-in `az`.
    env: { AZURE_TOKEN_CREDENTIALS: "AzureCliCredential" },
    testTimeout: 30_000,
    // beforeAll hooks run the whole program under mocks for two stacks (with monitoring, issue #12, 41 and 74
    // resources), which takes longer than the 10 s default while the other test files run in parallel.
    hookTimeout: 60_000,
  },
};

export default config;
