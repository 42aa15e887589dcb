/**
 * Benchmark (not a test, standards: "Benchmarks are scripts that print
 * numbers"): simulated requests per second of wall time for the prod stack
 * and for a generated 20-account stack, at their full usable TPM for 10
 * simulated minutes, in both routing modes.
 *
 *   npx tsx scripts/bench-simulate.ts
 */
import { loadTopology } from "../infra/cli/common";
import { stackFile } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { buildTopology, type Topology } from "../infra/model/topology";
import { simulate } from "../infra/sim/simulate";

/** 20 subscriptions, one account each: gpt-4.1-mini (2M TPM) and gpt-4o (450K TPM); half priority 1, half priority 2. */
function twentyAccounts(mode: "pool" | "policy"): Topology {
  const regions = ["swedencentral", "eastus2", "westus3", "francecentral"];
  const subscriptions = Array.from({ length: 20 }, (_, i) => ({
    alias: `sub-${i + 1}`,
    id: `00000000-0000-0000-0000-${(i + 1).toString(16).padStart(12, "0")}`,
    offer: "Default",
  }));
  return buildTopology(
    validateConfig({
      gateway: {
        name: "bench",
        subscription: "sub-1",
        location: "swedencentral",
        sku: "PremiumV2",
        capacity: 4,
        publisherEmail: "platform@contoso.com",
        publisherName: "Contoso Platform",
      },
      routing: { mode },
      subscriptions,
      backends: subscriptions.map((s, i) => ({
        subscription: s.alias,
        location: regions[i % regions.length],
        deployments: [
          {
            name: "gpt-4.1-mini",
            model: "gpt-4.1-mini",
            version: "2025-04-14",
            sku: "GlobalStandard",
            capacity: 2000,
            priority: i < 10 ? 1 : 2,
          },
          {
            name: "gpt-4o",
            model: "gpt-4o",
            version: "2024-11-20",
            sku: "GlobalStandard",
            capacity: 450,
            priority: i < 10 ? 1 : 2,
          },
        ],
      })),
    }),
  );
}

function bench(label: string, topology: Topology): void {
  simulate(topology, { load: { load: 1 }, durationSeconds: 60 }); // warm-up (JIT)
  const start = process.hrtime.bigint();
  const r = simulate(topology, { load: { load: 1 }, durationSeconds: 600, tokensPerRequest: 1000 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${label.padEnd(28)} ${r.offeredRequests.toLocaleString("en-US").padStart(10)} requests, ` +
      `${r.upstreamCalls.toLocaleString("en-US").padStart(10)} upstream calls in ${seconds.toFixed(3)} s wall: ` +
      `${Math.round(r.offeredRequests / seconds).toLocaleString("en-US")} simulated requests/s ` +
      `(served ${(r.servedShare * 100).toFixed(1)}%)`,
  );
}

console.log("10 simulated minutes at 100% of usable TPM, 1,000 tokens per request, seed 1");
for (const mode of ["pool", "policy"] as const) {
  bench(
    `prod, ${mode}`,
    loadTopology(stackFile("prod"), (raw) => {
      raw.routing = { mode };
    }),
  );
  bench(`20 accounts, ${mode}`, twentyAccounts(mode));
}
