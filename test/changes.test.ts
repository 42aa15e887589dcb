/**
 * `plan --against`: what a change to a running stack does, resource by
 * resource (issue #11), and the CLI around it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { validateConfig } from "../infra/config/validate";
import { addLegacyKeys, diffTopologies } from "../infra/model/changes";
import { buildTopology } from "../infra/model/topology";
import { cli } from "./helpers/cli";
import { type RawConfigFixture, backend, deployment, validRawConfig } from "./helpers/config-fixtures";

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-changes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function changes(before: RawConfigFixture, after: RawConfigFixture) {
  return diffTopologies(buildTopology(validateConfig(before)), buildTopology(validateConfig(after))).map((c) => [
    c.kind,
    c.resource,
    c.what,
  ]);
}

function twoAccounts(): RawConfigFixture {
  const raw = validRawConfig();
  raw.backends.push(backend({ key: "ptu", deployments: [deployment({ name: "other" })] }));
  return raw;
}

describe("changes against the deployed stack file", () => {
  it("finds nothing when two entries in one region swap places", () => {
    const before = twoAccounts();
    const after = twoAccounts();
    after.backends.reverse();
    expect(changes(before, after)).toEqual([]);
  });

  it("replaces a deployment whose model changes", () => {
    const after = validRawConfig();
    after.backends[0].deployments[0] = deployment({ model: "gpt-4.1", version: "2025-04-14" });
    expect(changes(validRawConfig(), after)).toEqual([
      ["replace", "deployment hub-swedencentral/gpt-4o", 'model "gpt-4o" -> "gpt-4.1"'],
      ["outage", "route gpt-4o", "every member is replaced delete-first in this up (hub-swedencentral/gpt-4o)"],
    ]);
  });

  it("replaces a deployment whose deployment type changes", () => {
    const after = validRawConfig();
    after.backends[0].deployments[0].sku = "DataZoneStandard";
    expect(changes(validRawConfig(), after)).toEqual([
      ["replace", "deployment hub-swedencentral/gpt-4o", 'sku "GlobalStandard" -> "DataZoneStandard"'],
      ["outage", "route gpt-4o", "every member is replaced delete-first in this up (hub-swedencentral/gpt-4o)"],
    ]);
  });

  it("updates capacity in place", () => {
    const after = validRawConfig();
    after.backends[0].deployments[0].capacity = 200;
    expect(changes(validRawConfig(), after)).toEqual([
      ["update", "deployment hub-swedencentral/gpt-4o", "capacity 100 -> 200"],
    ]);
  });

  it("reports a version change under auto-upgrade as ignored", () => {
    const after = validRawConfig();
    after.backends[0].deployments[0].version = "2024-08-06";
    expect(changes(validRawConfig(), after)).toEqual([
      ["ignored", "deployment hub-swedencentral/gpt-4o", "version 2024-11-20 -> 2024-08-06"],
    ]);
  });

  it("updates the version in place with NoAutoUpgrade", () => {
    const before = validRawConfig();
    before.backends[0].deployments[0].versionUpgradeOption = "NoAutoUpgrade";
    const after = structuredClone(before);
    after.backends[0].deployments[0].version = "2024-08-06";
    expect(changes(before, after)).toEqual([
      ["update", "deployment hub-swedencentral/gpt-4o", "version 2024-11-20 -> 2024-08-06"],
    ]);
  });

  it("replaces an account and its deployments when its resource group changes", () => {
    const after = validRawConfig();
    after.backends[0].resourceGroup = "ai-rg";
    expect(changes(validRawConfig(), after)).toEqual([
      ["replace", "account hub-swedencentral", "resourceGroup contoso-ai-hub-swedencentral-rg -> ai-rg"],
      ["replace", "deployment hub-swedencentral/gpt-4o", "its account is replaced"],
      ["outage", "route gpt-4o", "every member is replaced delete-first in this up (hub-swedencentral/gpt-4o)"],
    ]);
  });

  it("creates and deletes accounts by key", () => {
    const after = validRawConfig();
    after.backends = [backend({ subscription: "spoke" })];
    expect(changes(validRawConfig(), after)).toEqual([
      ["delete", "account hub-swedencentral", "hub swedencentral"],
      ["create", "account spoke-swedencentral", "spoke swedencentral"],
    ]);
  });

  it("replaces the gateway, under a new name, when it switches to Premium v2", () => {
    const after = validRawConfig();
    after.gateway.sku = "PremiumV2";
    expect(changes(validRawConfig(), after)).toEqual([["replace", "gateway", 'sku "BasicV2" -> "PremiumV2"']]);
  });

  it("refuses a change between the classic and v2 tier families, which Azure does not do in place", () => {
    const after = validRawConfig();
    after.gateway.sku = "Basic";
    expect(changes(validRawConfig(), after)).toEqual([["refused", "gateway", 'sku "BasicV2" -> "Basic"']]);
  });
});

describe("a stack file from before backend keys", () => {
  it("gets the keys its second and third entries in one region were named with", () => {
    const raw = {
      backends: [
        { subscription: "hub", location: "x" },
        { subscription: "hub", location: "x" },
        { subscription: "hub", location: "x", key: "k" },
        { subscription: "hub", location: "y" },
      ],
    };
    addLegacyKeys(raw);
    expect(raw.backends.map((b) => (b as { key?: string }).key)).toEqual([undefined, "2", "k", undefined]);
  });
});

describe("aoai-gateway plan --against", () => {
  function file(name: string, raw: RawConfigFixture): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      stringify({ config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`aoai-gateway:${k}`, v])) }),
    );
    return path;
  }

  it("appends the changes and says which replace", async () => {
    const after = validRawConfig();
    after.backends[0].deployments[0] = deployment({ model: "gpt-4.1", version: "2025-04-14" });
    const old = file("old.yaml", validRawConfig());
    const r = await cli("plan", "--config", file("new.yaml", after), "--against", old);
    expect([r.code, r.out.slice(r.out.indexOf("Changes against"))]).toEqual([
      0,
      `Changes against ${old} (1; 1 replace; 1 route down during the up):\n  replace  deployment hub-swedencentral/gpt-4o: model "gpt-4o" -> "gpt-4.1"\n           Azure cannot change a deployment's model or type in place: deleted first (so old and new never draw from one quota pool at once), then created; member hub-swedencentral/gpt-4o is out of route gpt-4o meanwhile\n  outage   route gpt-4o: every member is replaced delete-first in this up (hub-swedencentral/gpt-4o)\n           route gpt-4o is down from the first delete until a new deployment is created (calls to it fail meanwhile). To keep it serving, take two ups: first add members with the new settings beside the old ones (another backend entry with its own key, in another subscription or region) and deploy; then remove or change the old members and deploy again\n`,
    ]);
  });

  it("exits 1 when a change is refused", async () => {
    const after = validRawConfig();
    after.gateway.sku = "Basic";
    const r = await cli(
      "plan",
      "--config",
      file("classic.yaml", after),
      "--against",
      file("v2.yaml", validRawConfig()),
      "--json",
    );
    const out = JSON.parse(r.out) as { changes: { kind: string }[] };
    expect([r.code, out.changes.map((c) => c.kind)]).toEqual([1, ["refused"]]);
  });

  it("compares a file without backend keys by the names it was deployed with", async () => {
    const old = validRawConfig();
    old.backends.push(backend({ deployments: [deployment({ name: "other" })] }));
    const now = structuredClone(old);
    now.backends[1].key = "2";
    const r = await cli("plan", "--config", file("keyed.yaml", now), "--against", file("unkeyed.yaml", old), "--json");
    expect((JSON.parse(r.out) as { changes: unknown[] }).changes).toEqual([]);
  });
});
