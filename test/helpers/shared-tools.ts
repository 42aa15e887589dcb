/**
 * The tools of `../shared` some tests use when they are there (docs/testing.md: without them those tests
 * are skipped, issue #17: a fresh clone without ../shared passes `npm test`). Each returns the tool's path,
 * or null when the tool or what it needs is absent, so a test can `skipIf` on it.
 */
import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { PROJECT_ROOT } from "../../infra/config/load";
import { EMULATOR_DIR, emulatorSkipReason } from "../emulator/harness";

const TOOLS = resolve(PROJECT_ROOT, "..", "shared", "tools");

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, command)));
}

/** `../shared/tools/apim-policy-lint`, when it and xmllint (Debian libxml2-utils) are installed. */
export function policyLinter(): string | null {
  const tool = join(TOOLS, "apim-policy-lint");
  return existsSync(tool) && onPath("xmllint") ? tool : null;
}

/** An emulator tool (`apim-emulate`, `apim-expr-check`), when the emulator can run here (Mono, python3). */
export function emulatorTool(name: "apim-emulate" | "apim-expr-check"): string | null {
  return emulatorSkipReason() === null ? join(EMULATOR_DIR, name) : null;
}

/** Why a skipped shared-tool test skipped, for its title. */
export const SKIPPED_WITHOUT_SHARED = " (skipped: ../shared or its prerequisites are not installed)";
