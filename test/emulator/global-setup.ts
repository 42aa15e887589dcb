/**
 * Vitest global setup for the executed-policy layer (issue #10): says once
 * why the emulator tests are skipped, or builds the tool once before the test
 * files start it in parallel (its wrappers rebuild when a source changed, and
 * parallel first builds would race).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { EMULATOR_DIR, emulatorSkipReason } from "./harness";

export default function setup(): void {
  const reason = emulatorSkipReason();
  if (reason) {
    process.stdout.write(`\nemulator tests skipped: ${reason}\n`);
    return;
  }
  execFileSync(join(EMULATOR_DIR, "build.sh"), { stdio: ["ignore", "ignore", "inherit"] });
}
