/**
 * Benchmark of the bounded wait (issue #21; standards: "Benchmarks are scripts that print numbers"): served
 * share and added latency at 50%, 90%, 100% and 120% of usable TPM with Poisson arrivals, for every stack in
 * stacks/ and both routing modes, executed (the rendered policy in apim-emulate, limiters at each member's
 * quota over 10-second windows, the stack's gateway units) and simulated (`simulate`), plus the simulated
 * share without the wait (routing.maxWaitSeconds 0) for comparison.
 *
 *   npx tsx scripts/bench-bounded-wait.ts [STACK...]
 *
 * Tokens per request are chosen per stack so a run offers about 1,500 requests a minute at 100% (1,000 at
 * least): the share a gateway loses to bursts depends on how many requests fit a member's window. Each run is
 * 120 simulated seconds (12 windows). Executed added latency = last upstream call minus arrival, served
 * requests only. "regress" counts upstream calls into an earlier window than a previous call to the same
 * deployment (held passes run before later arrivals; the emulator's limiter would count such a window afresh,
 * so a non-zero value marks an optimistic executed number).
 */
import { stackNames } from "../infra/config/load";
import { simulate, type SimulationOptions } from "../infra/sim/simulate";
import {
  REPO_ROOT,
  ROUTING_MODES,
  consumerKey,
  emulatorSkipReason,
  gatewayFor,
  renderFor,
  runScenario,
  offeredLoadScenario,
  windowRegressions,
} from "../test/emulator/harness";

const LOADS = [0.5, 0.9, 1.0, 1.2];
const DURATION = 120;
const SEED = 3;

function nearestRank(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const f1 = (v: number) => v.toFixed(1);
const f2 = (v: number) => v.toFixed(2);

async function main(): Promise<void> {
  const skip = emulatorSkipReason();
  if (skip) throw new Error(`cannot execute policies: ${skip}`);
  const stacks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : stackNames(REPO_ROOT);
  console.log(
    [
      "stack",
      "mode",
      "load",
      "tokens",
      "requests",
      "exec served%",
      "exec 429",
      "exec wait p50/p99 s",
      "sim served%",
      "sim wait p50/p99 s",
      "sim held%",
      "sim no-wait served%",
      "regress",
    ].join(" | "),
  );
  for (const stack of stacks) {
    for (const mode of ROUTING_MODES) {
      const rendered = renderFor(stack, mode);
      const { topology } = rendered;
      const gateway = await gatewayFor(stack, mode);
      const key = consumerKey(gateway.gateway);
      const tokens = Math.max(1000, Math.round(topology.totalTpm / 1500 / 1000) * 1000);
      for (const load of LOADS) {
        const options: SimulationOptions = {
          load: { load },
          tokensPerRequest: tokens,
          durationSeconds: DURATION,
          seed: SEED,
        };
        const out = await runScenario(
          {
            policy: rendered.apiPolicy,
            gateway: gateway.file,
            scenario: offeredLoadScenario(topology, options, key),
          },
          { instances: Math.max(1, topology.gateway.capacity), seed: SEED },
        );
        const served = out.requests.filter((r) => r.status === 200);
        const waits = served.map((r) => (r.attempts.length > 0 ? r.attempts[r.attempts.length - 1].t - r.at : 0));
        const sim = simulate(topology, options);
        const noWait = simulate(topology, { ...options, maxWaitSeconds: 0 });
        const a = sim.clients.addedLatencySeconds;
        console.log(
          [
            stack,
            mode,
            `${load * 100}%`,
            String(tokens),
            String(out.requests.length),
            f2((100 * served.length) / Math.max(1, out.requests.length)),
            String(out.requests.filter((r) => r.status === 429).length),
            `${f1(nearestRank(waits, 0.5))}/${f1(nearestRank(waits, 0.99))}`,
            f2(100 * sim.servedShare),
            `${f1(a.p50)}/${f1(a.p99)}`,
            f1(100 * sim.clients.heldShare),
            f2(100 * noWait.servedShare),
            String(windowRegressions(out)),
          ].join(" | "),
        );
      }
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
