/**
 * Issue #21, lead's decision 2: the operator subscription the stack creates for `aoai-gateway smoke`,
 * from the real program under mocks, on the test-owned fixture test/fixtures/smoke/Pulumi.smoke.yaml.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { readStackConfig } from "../infra/config/load";
import { ConfigError, validateConfig } from "../infra/config/validate";
import { namespaceConfig } from "../infra/config/load";
import { OPERATOR_SUBSCRIPTION_ID } from "../infra/model/names";
import { T, ofType, runStack } from "./helpers/program";

const FIXTURE = join(__dirname, "fixtures", "smoke", "Pulumi.smoke.yaml");

let result: MockRunResult;
beforeAll(async () => {
  result = await runStack(readStackConfig(FIXTURE));
});

describe("operator subscription", () => {
  it("creates one subscription aoai-gateway-operator scoped to the API, not to the team product", () => {
    const operator = ofType(result, T.subscription).filter((s) => s.inputs.sid === OPERATOR_SUBSCRIPTION_ID);
    expect(operator.map((s) => [s.name, s.inputs.scope, s.inputs.displayName, s.inputs.state])).toEqual([
      ["api-operator", "/apis/azure-openai", "aoai-gateway operator", "active"],
    ]);
  });

  it("keeps the operator's keys secret in state", () => {
    const operator = ofType(result, T.subscription).find((s) => s.inputs.sid === OPERATOR_SUBSCRIPTION_ID);
    expect(operator?.options.additionalSecretOutputs).toEqual(["primaryKey", "secondaryKey"]);
  });

  it("exports the operator key as the stack output operatorKey", () => {
    expect(result.outputs.operatorKey).toBe("mock-key-aoai-gateway-operator");
  });

  it("leaves the team product's subscriptions to the consumers", () => {
    const onProduct = ofType(result, T.subscription).filter((s) => s.inputs.scope === "/products/aoai-gateway");
    expect(onProduct.map((s) => s.inputs.sid)).toEqual(["app-team"]);
  });
});

describe("validation", () => {
  it("refuses a consumer named aoai-gateway-operator", () => {
    const raw = namespaceConfig(readStackConfig(FIXTURE));
    raw.consumers = [{ name: "aoai-gateway-operator" }];
    expect(() => validateConfig(raw)).toThrow(ConfigError);
    expect(() => validateConfig(raw)).toThrow(
      'aoai-gateway:consumers[0].name: got "aoai-gateway-operator"; allowed: any other name (aoai-gateway-operator is the operator subscription the stack creates)',
    );
  });

  it("defaults routing.maxWaitSeconds to 10 and refuses more than 30", () => {
    const raw = namespaceConfig(readStackConfig(FIXTURE));
    expect(validateConfig(raw).routing.maxWaitSeconds).toBe(10);
    raw.routing = { maxWaitSeconds: 31 };
    expect(() => validateConfig(raw)).toThrow("aoai-gateway:routing.maxWaitSeconds");
  });
});
