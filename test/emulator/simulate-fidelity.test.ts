/**
 * Fidelity of `simulate` (issue #13): on the same offered load, the simulator
 * and the executed policy (`apim-emulate` running the rendered policy against
 * limiters at each member's quota, with the stack's gateway units) serve the
 * same share of requests, within 3 points, for both routing modes at 50%, 90%
 * and 120% of the plan's usable TPM, overall and per route.
 *
 * The emulator replays exactly the arrivals `simulate` draws
 * (forEachOfferedRequest), each costing the same estimated tokens. Skipped,
 * with the reason printed once by global-setup.ts, when ../shared or Mono is
 * absent.
 *
 * Several gateway units in pool mode run without the bounded wait (routing.maxWaitSeconds 0, both tools):
 * each unit has its own breakers, so after a held request's later pass another unit may still call a member
 * in the window before, and the emulator, which runs requests one at a time, restarts that window's count
 * (issue #21, docs/simulate.md "Bounded wait"): prod at 120% then serves 92.9% executed against 86.5%
 * simulated, a measurement artefact, not the policy. The wait is compared on one unit and in policy mode
 * (here and in bounded-wait-load.test.ts), where no such call happens.
 *
 * Known difference not measured here: when every breaker of a pool is open
 * the old pool policy answers 503 once its route-throttled cache entry has
 * expired (up to a second before the breakers close); the simulator counts
 * such answers as 429 (the issue #9 contract). Served share is unaffected.
 */
import { describe, expect, it } from "vitest";
import { type SimulationOptions, simulate } from "../../infra/sim/simulate";
import {
  EMULATOR_TEST_TIMEOUT_MS,
  ROUTING_MODES,
  consumerKey,
  emulatorSkipReason,
  gatewayFor,
  renderFor,
  runScenario,
  stacks,
  topologyFor,
  unitsFor,
  offeredLoadScenario,
} from "./harness";

/** Served-share tolerance, in points (issue #13). */
const TOLERANCE_POINTS = 3;
const LOADS = [0.5, 0.9, 1.2];
/**
 * 300 simulated seconds (thirty 10-second windows) at 5,000 tokens a request: about 7,000 requests per run on
 * prod. Since the bounded wait (issue #21) held requests make an overloaded route's outcome depend on the
 * order they queue in (the two tools pick members with different random generators); 90 s left dev's gpt-4o
 * route with about 60 requests at 120%, where one request is 1.6 points, and the routes differed by 3.2.
 */
// Native PTU spillover happens inside Azure OpenAI, which the emulator's simulated accounts do not model:
// the comparison is of the gateway's policy, so simulate runs without it too. Without this an adopter's
// stack with `spilloverDeployment` failed here (#17).
const OPTIONS = { tokensPerRequest: 5000, durationSeconds: 300, seed: 3, spillover: () => undefined } as const;

/** The stack's APIM units (gateway units the emulator runs). */
const stackUnits = (stack: string) => Math.max(1, topologyFor(stack, "pool").gateway.capacity);

const points = (served: number, offered: number) => (offered > 0 ? (100 * served) / offered : 100);

describe.skipIf(emulatorSkipReason() !== null)(
  "simulate agrees with the executed policy",
  { timeout: EMULATOR_TEST_TIMEOUT_MS },
  () => {
    for (const stack of stacks()) {
      for (const mode of ROUTING_MODES) {
        for (const load of LOADS) {
          // Sequential on purpose: parallel apim-emulate runs of one policy race on the tool's
          // expression cache (CS0016 "Could not write to file expressions") and Mono aborts now and then.
          it(`${stack} ${mode} mode at ${load * 100}% of usable TPM: served share within ${TOLERANCE_POINTS} points, overall and per route`, async () => {
            const units = stackUnits(stack);
            // One key carries the whole load: the per-caller default limit (#18) is off, as simulate models
            // capacity; pool mode with several units runs without the bounded wait (#21, docs/simulate.md).
            const overrides = {
              security: { limitEveryCaller: false },
              ...(mode === "pool" && units > 1 ? { routing: { maxWaitSeconds: 0 } } : {}),
            };
            const rendered = renderFor(stack, mode, overrides);
            const { topology } = rendered;
            const gateway = await gatewayFor(stack, mode, overrides);
            const options: SimulationOptions = { ...OPTIONS, load: { load } };
            const key = consumerKey(gateway.gateway);
            const emulated = await runScenario(
              {
                policy: rendered.apiPolicy,
                gateway: gateway.file,
                scenario: offeredLoadScenario(topology, options, key),
              },
              // Every region's units; a multi-region stack runs them in their regions (issue #22).
              {
                ...unitsFor(
                  topology,
                  topology.gateway.regions.reduce((n, r) => n + Math.max(1, r.capacity), 0),
                ),
                seed: OPTIONS.seed,
              },
            );
            const simulated = simulate(topology, options);

            const routeOf = (path: string) => path.split("/")[3];
            const rows = [
              {
                scope: "all",
                sim: points(simulated.servedRequests, simulated.offeredRequests),
                emu: points(emulated.requests.filter((r) => r.status === 200).length, emulated.requests.length),
              },
              ...simulated.routes.map((route) => {
                const mine = emulated.requests.filter((r) => routeOf(r.path) === route.deployment);
                return {
                  scope: route.deployment,
                  sim: points(route.servedRequests, route.offeredRequests),
                  emu: points(mine.filter((r) => r.status === 200).length, mine.length),
                };
              }),
            ];
            console.log(
              `fidelity ${stack} ${mode} ${load * 100}%: ` +
                rows
                  .map(
                    (r) =>
                      `${r.scope} sim ${r.sim.toFixed(2)} emu ${r.emu.toFixed(2)} delta ${(r.sim - r.emu).toFixed(2)}`,
                  )
                  .join("; "),
            );
            expect({
              offered: emulated.requests.length,
              outside: rows.filter((r) => Math.abs(r.sim - r.emu) > TOLERANCE_POINTS).map((r) => r.scope),
            }).toEqual({ offered: simulated.offeredRequests, outside: [] });
          });
        }
      }
    }
  },
);
