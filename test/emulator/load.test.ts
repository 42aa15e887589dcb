/**
 * The load run (scenarios/load.json): every stack, both routing modes, both
 * unavailable modes, upstream limiters at each member's quota.
 */
import { describe, expect, it } from "vitest";
import { EMULATOR_TEST_TIMEOUT_MS, ROUTING_MODES, UNAVAILABLE_MODES, emulatorSkipReason, stacks } from "./harness";
import { loadScenarios, runTemplate } from "./scenario";

const templates = loadScenarios().filter((s) => s.template.load !== undefined);

describe.skipIf(emulatorSkipReason() !== null)("load runs", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const stack of stacks()) {
    for (const mode of ROUTING_MODES) {
      for (const unavailable of UNAVAILABLE_MODES) {
        for (const { template } of templates) {
          it.concurrent(`${stack}, ${mode} mode, unavailable-mode ${unavailable}: ${template.title}`, async () => {
            const { failures } = await runTemplate(template, stack, mode, unavailable);
            expect(failures.join("\n")).toBe("");
          });
        }
      }
    }
  }
});
