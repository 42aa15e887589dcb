/**
 * Issue #17: the `plan --against` example in docs/changing-a-stack.md is real output, rendered here from
 * the fixtures it names (test/fixtures/changes/), with the deployed file shown as /tmp/prod-deployed.yaml.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { addLegacyKeys, diffTopologies, formatChanges } from "../infra/model/changes";

const ROOT = join(__dirname, "..");
const MARKER =
  "<!-- plan --against example: test/fixtures/changes/changed.yaml against test/fixtures/changes/deployed.yaml (checked by test/changes-doc.test.ts) -->";

function docExample(): string {
  const doc = readFileSync(join(ROOT, "docs", "changing-a-stack.md"), "utf8");
  const at = doc.indexOf(MARKER);
  if (at < 0) throw new Error("the example's marker is missing from docs/changing-a-stack.md");
  const block = /```text\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block) throw new Error("no text block after the marker");
  return block[1];
}

describe("docs/changing-a-stack.md, plan --against example", () => {
  it("is exactly what plan --against prints for the fixtures", () => {
    const before = loadTopology(join(ROOT, "test", "fixtures", "changes", "deployed.yaml"), addLegacyKeys);
    const after = loadTopology(join(ROOT, "test", "fixtures", "changes", "changed.yaml"));
    expect(docExample()).toBe(formatChanges(diffTopologies(before, after), "/tmp/prod-deployed.yaml"));
  });

  it("shows the route the up takes down, and only that one", () => {
    const before = loadTopology(join(ROOT, "test", "fixtures", "changes", "deployed.yaml"), addLegacyKeys);
    const after = loadTopology(join(ROOT, "test", "fixtures", "changes", "changed.yaml"));
    expect(
      diffTopologies(before, after)
        .filter((c) => c.kind === "outage")
        .map((c) => c.resource),
    ).toEqual(["route gpt-4o-mini"]);
  });
});
