/**
 * Issue #17: `plan` flags another stack file that would create the same gateway, resource groups or
 * accounts (same Azure names in the same subscriptions), naming that file. Pinned against
 * test/fixtures/stacks-that-fight/; the stacks/ checks are invariants that hold for any stack file.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackFile, stackNames } from "../infra/config/load";
import { cli } from "./helpers/cli";

const DIR = relative(process.cwd(), join(__dirname, "fixtures", "stacks-that-fight"));
const A = join(DIR, "Pulumi.a.yaml");

describe("two stack files that would create the same resources", () => {
  it("flags the copy beside it, one line per kind, and exits 1", async () => {
    const r = await cli("plan", "--config", A);
    expect([r.code, r.out.slice(r.out.indexOf("Stacks that would fight"))]).toEqual([
      1,
      [
        "Stacks that would fight (1 other stack file): both would create and own the same Azure resources, so the second up fails or takes them over, and destroying either deletes what the other serves from:",
        `  - ${DIR}/Pulumi.b.yaml creates the same API Management service fight-1fe82fc0 in subscription 00000000-0000-0000-0000-0000000f0001`,
        `  - ${DIR}/Pulumi.b.yaml creates the same 3 resource groups fight-gateway-rg, fight-hub-swedencentral-rg, fight-spoke-eastus2-rg in subscriptions 00000000-0000-0000-0000-0000000f0001, 00000000-0000-0000-0000-0000000f0002`,
        `  - ${DIR}/Pulumi.b.yaml creates the same 2 accounts fight-hub-swedencentral-2a1c81af, fight-spoke-eastus2-0ee455c1 in subscriptions 00000000-0000-0000-0000-0000000f0001, 00000000-0000-0000-0000-0000000f0002`,
        "  Give each stack its own gateway.name (every Azure name derives from it); environments usually get their own subscriptions too.",
        "",
      ].join("\n"),
    ]);
  });

  it("puts the same conflicts in --json, by kind", async () => {
    const r = await cli("plan", "--config", A, "--json");
    const { conflicts } = JSON.parse(r.out) as { conflicts: { file: string; kind: string; names: string[] }[] };
    expect(conflicts.map((c) => [c.file, c.kind, c.names.length])).toEqual([
      [`${DIR}/Pulumi.b.yaml`, "gateway", 1],
      [`${DIR}/Pulumi.b.yaml`, "resource group", 3],
      [`${DIR}/Pulumi.b.yaml`, "account", 2],
    ]);
  });

  it("finds nothing in common with another gateway name or other subscriptions", async () => {
    const r = await cli("plan", "--config", join(DIR, "Pulumi.c.yaml"));
    expect([r.code, r.out.includes("Stacks that would fight")]).toEqual([0, false]);
  });
});

describe("every stack file in stacks/ (invariants)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "aoai-fight-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(stackNames())("stack %s fights with no other stack in stacks/", async (stack) => {
    const r = await cli("plan", "--stack", stack, "--json");
    expect((JSON.parse(r.out) as { conflicts: unknown[] }).conflicts).toEqual([]);
  });

  it.each(stackNames())(
    "a copy of stack %s elsewhere (cp as for a new environment) is flagged against it",
    async (stack) => {
      const copy = join(tmp, "Pulumi.copy.yaml");
      copyFileSync(stackFile(stack), copy);
      const r = await cli("plan", "--config", copy, "--json");
      const files = new Set((JSON.parse(r.out) as { conflicts: { file: string }[] }).conflicts.map((c) => c.file));
      expect([r.code, [...files]]).toEqual([1, [relative(process.cwd(), stackFile(stack))]]);
    },
  );
});
