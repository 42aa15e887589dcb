/**
 * Executed-policy scenarios (issue #10): every template in scenarios/ (except
 * the load run, load.test.ts) on every stack in stacks/, in both routing
 * modes and both readings of APIM's undocumented 503 (`--unavailable-mode`).
 * A template whose route conditions a stack cannot meet is skipped for it,
 * with the reason in the test name.
 */
import { describe, expect, it } from "vitest";
import {
  EMULATOR_TEST_TIMEOUT_MS,
  ROUTING_MODES,
  UNAVAILABLE_MODES,
  emulatorSkipReason,
  stacks,
  topologyFor,
} from "./harness";
import { bind, loadScenarios, runTemplate } from "./scenario";

const skip = emulatorSkipReason() !== null;
const templates = loadScenarios().filter((s) => s.template.load === undefined);

describe.skipIf(skip)("executed policies", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const stack of stacks()) {
    for (const mode of ROUTING_MODES) {
      for (const unavailable of UNAVAILABLE_MODES) {
        describe(`${stack}, ${mode} mode, unavailable-mode ${unavailable}`, () => {
          for (const { template } of templates) {
            const binding = skip ? "" : bind(topologyFor(stack, mode, template.config), template.route);
            const notApplicable = typeof binding === "string" && !skip ? ` (not applicable: ${binding})` : "";
            it.skipIf(notApplicable !== "").concurrent(`${template.title}${notApplicable}`, async () => {
              const { failures } = await runTemplate(template, stack, mode, unavailable);
              expect(failures.join("\n")).toBe("");
            });
          }
        });
      }
    }
  }
});
