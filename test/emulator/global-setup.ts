/**
 * Vitest global setup for the executed-policy layer (issue #10): says once
 * why the emulator tests are skipped, or builds the tool once before the test
 * files start it in parallel (its wrappers rebuild when a source changed, and
 * parallel first builds would race).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMULATOR_DIR, SCRATCH_ROOT_ENV, emulatorSkipReason } from "./harness";

export default function setup(): (() => void) | undefined {
  const reason = emulatorSkipReason();
  if (reason) {
    process.stdout.write(`\nemulator tests skipped: ${reason}\n`);
    return undefined;
  }
  execFileSync(join(EMULATOR_DIR, "build.sh"), { stdio: ["ignore", "ignore", "inherit"] });
  // Test processes put their scratch folders (rendered policies, gateways, tool copies) here; vitest
  // ends its workers without an exit event, so the teardown removes what they leave.
  const root = mkdtempSync(join(tmpdir(), "aoai-gateway-emulator-"));
  process.env[SCRATCH_ROOT_ENV] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
