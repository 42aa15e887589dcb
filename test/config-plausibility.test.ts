/**
 * Issue #17: values far outside what Azure grants (unit mistakes) are refused or warned about, naming the
 * key path and the reading the user probably meant. Pinned against test/fixtures/config-checks/.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import { largestQuotaTpm, loadProblem } from "../infra/config/plausibility";
import { ConfigError, validateConfig } from "../infra/config/validate";
import { buildTopology } from "../infra/model/topology";
import { cli } from "./helpers/cli";

const FIXTURES = join(__dirname, "fixtures", "config-checks");
const raw = (name: string) => namespaceConfig(readStackConfig(join(FIXTURES, name)));

function problems(config: Record<string, unknown>): readonly string[] {
  try {
    validateConfig(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe("capacity and PTU counts beyond any published quota", () => {
  it("refuses capacity 100000 for gpt-4o, naming the key, the TPM it means and the reading meant", () => {
    expect(problems(raw("capacity-units.yaml"))[0]).toBe(
      "aoai-gateway:backends[0].deployments[0].capacity: got 100,000 (100,000,000 TPM); allowed: at most 30,000 (30M TPM, the largest quota Microsoft publishes for gpt-4o; infra/data/plausibility.json, read 2026-12-06); did you mean capacity: 100 (100K TPM)? capacity counts thousands of TPM. If you were granted more, state it: aoai-gateway:subscriptions[0].quotas { model: gpt-4o, sku: GlobalStandard, location: swedencentral, tpm: 100000000 }",
    );
  });

  it("refuses a PTU count above 10,000", () => {
    expect(problems(raw("capacity-units.yaml"))[1]).toBe(
      "aoai-gateway:backends[0].deployments[1].capacity: got 20,000 PTU; allowed: at most 10,000 PTU for GlobalProvisionedManaged (no published quota comes near it; 10,000 PTU cost about 7.3 M USD a month at list price; infra/data/plausibility.json, read 2026-12-06). Provisioned capacity counts PTUs, not TPM; if you were granted that many, state it: aoai-gateway:subscriptions[0].quotas { sku: GlobalProvisionedManaged, location: swedencentral, ptu: 20000 }",
    );
  });

  it("uses the largest quota of any model (150M TPM) for a model without its own figure", () => {
    expect(problems(raw("capacity-units.yaml"))).toHaveLength(3);
    expect(problems(raw("capacity-units.yaml"))[2]).toContain(
      "got 200,000 (200,000,000 TPM); allowed: at most 150,000 (150M TPM, the largest quota Microsoft publishes for any model;",
    );
    expect(largestQuotaTpm("gpt-5-nano")).toEqual({ tpm: 150_000_000, own: true });
  });

  it("accepts both when the subscription states quota overrides that cover them", () => {
    const config = raw("capacity-units.yaml");
    const subs = config.subscriptions as Record<string, unknown>[];
    subs[0].quotas = [
      { model: "gpt-4o", sku: "GlobalStandard", location: "swedencentral", tpm: 100_000_000 },
      { model: "gpt-4o-mini", sku: "GlobalStandard", location: "swedencentral", tpm: 200_000_000 },
      { sku: "GlobalProvisionedManaged", location: "swedencentral", ptu: 20_000 },
    ];
    expect(problems(config)).toEqual([]);
  });

  it("accepts the largest published quota exactly: gpt-4o at 30,000", () => {
    const config = raw("capacity-units.yaml");
    (config.backends as { deployments: Record<string, unknown>[] }[])[0].deployments = [
      { name: "gpt-4o", model: "gpt-4o", version: "2024-11-20", sku: "GlobalStandard", capacity: 30_000 },
    ];
    expect(problems(config)).toEqual([]);
  });
});

describe("quota overrides", () => {
  it("refuses tpm 450 in an override, with the 450K meant", () => {
    const config = raw("capacity-units.yaml");
    const subs = config.subscriptions as Record<string, unknown>[];
    subs[0].quotas = [{ model: "gpt-4o", sku: "Standard", location: "swedencentral", tpm: 450 }];
    expect(problems(config)).toContain(
      "aoai-gateway:subscriptions[0].quotas[0].tpm: got 450; allowed: 0, or tokens per minute of 1,000 or more (no quota is smaller than one deployment of 1K TPM); did you mean tpm: 450000 (450K TPM)? tpm counts tokens, not thousands",
    );
  });

  it("accepts tpm 0 (offers that grant nothing)", () => {
    const config = raw("token-limits.yaml");
    (config.subscriptions as Record<string, unknown>[])[0].quotas = [
      { model: "o3", sku: "GlobalStandard", location: "swedencentral", tpm: 0 },
    ];
    expect(problems(config)).toEqual([]);
  });
});

describe("team token limits", () => {
  const warnings = () =>
    buildTopology(validateConfig(raw("token-limits.yaml"))).warnings.filter((w) => w.includes("consumers"));

  it("warns about tokensPerMinute 100 (meant 100K), a quota of 50 and a limit above the stack's TPM, and nothing else", () => {
    expect(warnings()).toEqual([
      "aoai-gateway:consumers[0].tokensPerMinute: 100 tokens per minute is less than one ordinary request (prompt + max_tokens is counted, e.g. 1,000); did you mean 100,000 (100K)? The limit counts tokens, not thousands",
      "aoai-gateway:consumers[1].tokensPerMinute: 500,000 tokens per minute is more than the stack's 200,000 usable TPM, so the limit never applies",
      "aoai-gateway:consumers[1].tokenQuota: 50 tokens a month is less than ten ordinary requests; did you mean 50,000 (50K)? The quota counts tokens, not thousands",
    ]);
  });
});

describe("simulate flags", () => {
  it("refuses --load 120 with the fraction meant", async () => {
    const r = await cli("simulate", "--config", join(FIXTURES, "token-limits.yaml"), "--load", "120");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --load "120": --load takes a fraction: 1.2 = 120%; allowed: a number above 0 up to 10 (1,000%)\n',
    ]);
  });

  it("accepts --load 10 (1,000%) as the largest", () => {
    expect(loadProblem(10)).toBeUndefined();
  });

  it("refuses a duration without a unit", async () => {
    const r = await cli("simulate", "--config", join(FIXTURES, "token-limits.yaml"), "--duration", "30");
    expect([r.code, r.err]).toEqual([2, 'error: --duration "30": give a unit: 30s, 30m or 30h (up to 24h)\n']);
  });
});
