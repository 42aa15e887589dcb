/** The suite's closing line (test/summary-reporter.ts, issue #17): a file that fails outside its tests counts. */
import { describe, expect, it } from "vitest";
import { summarize, summaryText } from "./summary-reporter";

describe("summarize", () => {
  it("counts passed, failed and skipped tests over every file", () => {
    const files = [
      { file: "test/a.test.ts", state: "failed", tests: ["passed", "failed", "skipped"] },
      { file: "test/b.test.ts", state: "passed", tests: ["passed", "passed", "pending"] },
    ];
    expect(summarize(files)).toEqual({ passed: 3, failed: 1, skipped: 2, failedFiles: [] });
  });

  it("counts a file that failed to load (no tests at all) as one failure and names it", () => {
    const files = [
      { file: "test/broken.test.ts", state: "failed", tests: [] },
      { file: "test/b.test.ts", state: "passed", tests: ["passed"] },
    ];
    expect(summarize(files)).toEqual({ passed: 1, failed: 1, skipped: 0, failedFiles: ["test/broken.test.ts"] });
  });

  it("counts a file that failed outside its tests (its tests passed or skipped) as one failure", () => {
    const files = [{ file: "test/hook.test.ts", state: "failed", tests: ["passed", "skipped"] }];
    expect(summarize(files)).toEqual({ passed: 1, failed: 1, skipped: 1, failedFiles: ["test/hook.test.ts"] });
  });

  it("does not count a file twice when one of its tests failed", () => {
    const files = [{ file: "test/a.test.ts", state: "failed", tests: ["failed", "failed"] }];
    expect(summarize(files).failed).toBe(2);
  });

  it("counts each error outside any file as a failure", () => {
    expect(summarize([{ file: "test/a.test.ts", state: "passed", tests: ["passed"] }], 2).failed).toBe(2);
  });
});

describe("summaryText", () => {
  it("prints the closing line CI greps, with skipped only when there are some", () => {
    expect([
      summaryText({ passed: 5, failed: 0, skipped: 0, failedFiles: [] }),
      summaryText({ passed: 5, failed: 1, skipped: 3, failedFiles: [] }),
    ]).toEqual(["\ntests: 5 passed, 0 failed\n", "\ntests: 5 passed, 1 failed, 3 skipped\n"]);
  });

  it("names the files that failed outside their tests on the next line", () => {
    expect(summaryText({ passed: 1, failed: 1, skipped: 0, failedFiles: ["test/broken.test.ts"] })).toBe(
      "\ntests: 1 passed, 1 failed\nfiles failed outside their tests: test/broken.test.ts\n",
    );
  });
});
