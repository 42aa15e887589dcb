/**
 * Prints one plain closing line, `tests: N passed, N failed`, after vitest's
 * own report, so CI logs state the count in a runner-neutral form.
 *
 * Issue #17: a test file that fails to load (a syntax error, a tool spawned
 * at collection) or fails outside its tests (a beforeAll hook) has no failed
 * test, so the line said `0 failed` while vitest failed the run. Such a file
 * now counts as one failure and is named on the next line, as do errors
 * outside any file.
 */
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node" with { "resolution-mode": "import" };

/** What the summary needs of one test file (a vitest TestModule, or a test's stand-in). */
export interface FileOutcome {
  /** The file, relative to the project (for the message). */
  readonly file: string;
  /** vitest's state of the whole file: "failed" also when it failed to load or failed outside a test. */
  readonly state: string;
  /** The state of each test the file ran: "passed", "failed", "skipped" or "pending". */
  readonly tests: readonly string[];
}

export interface Summary {
  readonly passed: number;
  /** Failed tests, plus one per file that failed without a failed test, plus errors outside any file. */
  readonly failed: number;
  readonly skipped: number;
  /** Files that failed without a failed test (failed to load, or failed in a hook). */
  readonly failedFiles: readonly string[];
}

/** Count the run's outcome; `unhandledErrors` are errors vitest could not attribute to a file. */
export function summarize(files: readonly FileOutcome[], unhandledErrors = 0): Summary {
  let passed = 0;
  let failedTests = 0;
  let skipped = 0;
  const failedFiles: string[] = [];
  for (const f of files) {
    for (const state of f.tests) {
      if (state === "passed") passed++;
      else if (state === "failed") failedTests++;
      else skipped++;
    }
    if (f.state === "failed" && !f.tests.includes("failed")) failedFiles.push(f.file);
  }
  return { passed, failed: failedTests + failedFiles.length + unhandledErrors, skipped, failedFiles };
}

/** The closing line(s) the reporter prints. */
export function summaryText(s: Summary): string {
  const files = s.failedFiles.length > 0 ? `files failed outside their tests: ${s.failedFiles.join(", ")}\n` : "";
  return `\ntests: ${s.passed} passed, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ""}\n${files}`;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const files = testModules.map((m) => ({
      file: relative(process.cwd(), m.moduleId),
      state: m.state(),
      tests: [...m.children.allTests()].map((t) => t.result().state),
    }));
    process.stdout.write(summaryText(summarize(files, unhandledErrors.length)));
  }
}
