/**
 * Every rendered policy document compiles in the emulator's model of APIM
 * expressions and uses only .NET members APIM allows (`apim-expr-check`), for
 * every stack, both routing modes, and with the optional hooks on.
 */
import { describe, expect, it } from "vitest";
import { EMULATOR_TEST_TIMEOUT_MS, ROUTING_MODES, emulatorSkipReason, exprCheck, renderFor, stacks } from "./harness";

const HOOKS_ON = {
  policies: { tokenLimit: { enabled: true, tokensPerMinute: 1000 }, tokenMetrics: { enabled: true } },
};

describe.skipIf(emulatorSkipReason() !== null)(
  "apim-expr-check on rendered policies",
  { timeout: EMULATOR_TEST_TIMEOUT_MS },
  () => {
    for (const stack of stacks()) {
      for (const mode of ROUTING_MODES) {
        for (const [variant, overrides] of [
          ["as configured", undefined],
          ["with token limit and token metrics on", HOOKS_ON],
        ] as const) {
          it.concurrent(
            `${stack} ${mode} mode ${variant}: every expression compiles with allowed types only`,
            async () => {
              const { files } = renderFor(stack, mode, overrides);
              for (const file of files) {
                const result = await exprCheck(file);
                expect(`${file}: exit ${result.code}\n${result.output}`).toBe(`${file}: exit 0\n${result.output}`);
              }
            },
          );
        }
      }
    }
  },
);
