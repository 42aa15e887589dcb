/**
 * Issue #18 under Pulumi's mocks, for every stack in stacks/ (invariants, no pinned stack values): the key that
 * seals stored-response ids, the product's approval, and the key's query name the policy refuses.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { readStackConfig } from "../infra/config/load";
import { RESPONSE_SEAL_KEY_NAMED_VALUE, SUBSCRIPTION_KEY_QUERY } from "../infra/model/names";
import { renderPolicies } from "../infra/policies/render";
import { loadTopology } from "../infra/cli/common";
import { T, named, ofType, runStack } from "./helpers/program";
import { stackFiles } from "./helpers/stacks";

const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
const NAMED_VALUE = "azure-native:apimanagement:NamedValue";

for (const { name: stack, file } of stackFiles()) {
  describe(`${stack}: stored-response seal key and key handling (#18)`, () => {
    let result: MockRunResult;
    beforeAll(async () => {
      result = await runStack(readStackConfig(file));
    }, 120_000);

    it("draws the seal key from one RandomPassword of 64 letters and digits (it sits in a C# string literal), one for every gateway of the stack", () => {
      // Several v2 gateways (#22) share the primary's key: other RandomPasswords are consumer keys.
      const seal = ofType(result, RANDOM_PASSWORD).filter((r) => r.name.endsWith("response-seal-key"));
      expect(seal.map((r) => [r.name, r.inputs])).toEqual([["api-response-seal-key", { length: 64, special: false }]]);
    });

    it("stores the seal key as a secret named value whose value is the RandomPassword's result", () => {
      const nv = named(result, NAMED_VALUE, "api-response-seal-key");
      // The mock run unwraps secret inputs and lists them in secretInputs (#17).
      expect([
        nv.inputs.namedValueId,
        nv.inputs.displayName,
        nv.inputs.secret,
        nv.inputs.value,
        nv.secretInputs.includes("value"),
      ]).toEqual([
        RESPONSE_SEAL_KEY_NAMED_VALUE,
        RESPONSE_SEAL_KEY_NAMED_VALUE,
        true,
        "mock-random-password-api-response-seal-key",
        true,
      ]);
    });

    it("saves the API policy only after the seal key's named value exists", () => {
      expect(named(result, T.apiPolicy, "api-azure-openai-policy").dependsOn).toContain("api-response-seal-key");
    });

    it("names the seal key's named value in the policy exactly as the program creates it", () => {
      const xml = renderPolicies(loadTopology(file))[0].xml;
      expect(xml.match(/\{\{[A-Za-z0-9._-]+\}\}/g)?.filter((v) => v.includes("seal"))[0]).toBe(
        `{{${RESPONSE_SEAL_KEY_NAMED_VALUE}}}`,
      );
    });

    it("requires approval for product subscriptions, so a portal could never hand out a key on sign-up", () => {
      expect(named(result, T.product, "api-product").inputs.approvalRequired).toBe(true);
    });

    it("keeps the key's query name the policy refuses (ARM requires one)", () => {
      const api = ofType(result, T.api)[0];
      expect(api.inputs.subscriptionKeyParameterNames).toEqual({ header: "api-key", query: SUBSCRIPTION_KEY_QUERY });
    });
  });
}
