/**
 * Issue #18: the `aoai-gateway:security` section, what `plan` says about it, and what the policy context renders
 * from it. Pinned values come from the test-owned fixture (helpers/config-fixtures), never from stacks/.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../infra/config/validate";
import { createPlan, formatPlan } from "../infra/model/plan";
import { buildTopology } from "../infra/model/topology";
import { createPolicyContext, renderPolicies } from "../infra/policies/render";
import { configProblems, validRawConfig } from "./helpers/config-fixtures";

function topology(changes: Record<string, unknown> = {}) {
  return buildTopology(validateConfig({ ...validRawConfig(), ...changes }));
}

describe("aoai-gateway:security", () => {
  it("limits every caller by default to policies.tokenLimit.tokensPerMinute and audio/image calls to 60 a minute", () => {
    expect(createPlan(topology()).callerLimits).toEqual({ tokensPerMinute: 100000, unmeteredCallsPerMinute: 60 });
  });

  it("shows the callers' limits in the plan, before the quota pools", () => {
    const lines = formatPlan(createPlan(topology({ policies: { tokenLimit: { tokensPerMinute: 5000 } } }))).split("\n");
    const at = lines.findIndex((l) => l.startsWith("Quota pools"));
    expect(lines.slice(at - 2, at)).toEqual([
      "Limits per caller without its own (aoai-gateway:security): 5,000 tokens a minute; audio and image calls: 60 a minute",
      "",
    ]);
  });

  it("leaves callers without their own limit unlimited only when limitEveryCaller is false", () => {
    const t = topology({ security: { limitEveryCaller: false, unmeteredCallsPerMinute: 0 } });
    expect([
      createPlan(t).callerLimits,
      createPolicyContext(t).tokenLimit.enabled,
      createPolicyContext(t).anyTokenLimit,
    ]).toEqual([{ tokensPerMinute: null, unmeteredCallsPerMinute: null }, false, false]);
  });

  it("renders the default limit for callers without their own when limitEveryCaller is on (the default)", () => {
    expect(createPolicyContext(topology()).tokenLimit).toEqual({ enabled: true, tokensPerMinute: 100000 });
  });

  it("refuses an unknown key and a negative call rate, naming the key path", () => {
    expect(configProblems({ ...validRawConfig(), security: { limitEveryCaller: true, foo: 1 } })).toEqual([
      'aoai-gateway:security: unknown key "foo"; allowed keys: limitEveryCaller, unmeteredCallsPerMinute',
    ]);
    expect(configProblems({ ...validRawConfig(), security: { unmeteredCallsPerMinute: -1 } }).length).toBe(1);
    expect(configProblems({ ...validRawConfig(), security: { unmeteredCallsPerMinute: -1 } })[0]).toMatch(
      /^aoai-gateway:security\.unmeteredCallsPerMinute: /,
    );
  });
});

describe("policy context (#18)", () => {
  it("counts an entra-only caller as its app, and any other mode's caller as its subscription", () => {
    const entra = topology({
      clientAuth: {
        mode: "entra-only",
        tenantId: "11111111-1111-1111-1111-111111111111",
        audiences: ["api://aoai-gateway"],
        clientAppIds: ["22222222-2222-2222-2222-222222222222"],
      },
    });
    expect([
      createPolicyContext(entra).clientAuth.entraOnly,
      createPolicyContext(topology()).clientAuth.entraOnly,
    ]).toEqual([true, false]);
  });

  it("refuses the key's query parameter and gates topology headers on the operator subscription", () => {
    const xml = renderPolicies(topology())[0].xml;
    expect([
      xml.includes('string.Equals(k, "subscription-key", StringComparison.OrdinalIgnoreCase)'),
      xml.includes('context.Subscription.Id == "aoai-gateway-operator"'),
    ]).toEqual([true, true]);
  });

  it("keeps no response-pin cache and no account search", () => {
    const xml = renderPolicies(topology())[0].xml;
    expect([xml.includes(":response:"), xml.includes('"search"')]).toEqual([false, false]);
  });
});
