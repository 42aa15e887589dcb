/**
 * Runs the real program (infra/index.ts) under Pulumi's mocks for a stack
 * config. Modules are reset first and both the runner and the program are
 * imported after that, so they share one fresh @pulumi/pulumi and every run
 * executes the program again.
 */
import { join } from "node:path";
import { vi } from "vitest";
import { readStackConfig, stackFile } from "../../infra/config/load";
import type { MockRunResult, RecordedResource } from "../../infra/cli/mock-run";

export type { RecordedResource };

/** Pinned tests read prod's single-region copy (test/fixtures/examples, as #17 moves pins; #22 changed stacks/). */
export function stackConfig(stack: string): Record<string, unknown> {
  return readStackConfig(stack === "prod" ? PINNED_PROD : stackFile(stack));
}

/** The prod example as shipped before #22 made it two-region (the pins' subject). */
export const PINNED_PROD = join(__dirname, "..", "fixtures", "examples", "Pulumi.prod.yaml");

/** A deep copy of a stack's config with `aoai-gateway:<key>` values replaced. */
export function withConfig(stack: string, changes: Record<string, unknown>): Record<string, unknown> {
  const config = structuredClone(stackConfig(stack));
  for (const [key, value] of Object.entries(changes)) config[`aoai-gateway:${key}`] = value;
  return config;
}

export interface RawBackendEntry extends Record<string, unknown> {
  deployments: Record<string, unknown>[];
}

/** A copy of a stack's config whose `aoai-gateway:backends` list `change` has edited in place. */
export function withBackends(stack: string, change: (backends: RawBackendEntry[]) => void): Record<string, unknown> {
  const config = withConfig(stack, {});
  const backends = config["aoai-gateway:backends"] as RawBackendEntry[];
  change(backends);
  return config;
}

export async function runStack(
  config: Record<string, unknown>,
  onRegister?: (type: string, name: string) => void,
): Promise<MockRunResult> {
  vi.resetModules();
  const { runProgramWithMocks } = await import("../../infra/cli/mock-run.js");
  return runProgramWithMocks({ config, stack: "test", load: () => import("../../infra/index.js"), onRegister });
}

export function ofType(result: MockRunResult, type: string): RecordedResource[] {
  return result.resources.filter((r) => r.type === type);
}

export function named(result: MockRunResult, type: string, name: string): RecordedResource {
  const r = result.resources.find((x) => x.type === type && x.name === name);
  if (!r)
    throw new Error(
      `no ${type} named ${name}; have ${ofType(result, type)
        .map((x) => x.name)
        .join(", ")}`,
    );
  return r;
}

export const T = {
  provider: "pulumi:providers:azure-native",
  rg: "azure-native:resources:ResourceGroup",
  account: "azure-native:cognitiveservices:Account",
  deployment: "azure-native:cognitiveservices:Deployment",
  apim: "azure-native:apimanagement:ApiManagementService",
  generic: "azure-native:resources:Resource",
  backend: "azure-native:apimanagement:Backend",
  role: "azure-native:authorization:RoleAssignment",
  api: "azure-native:apimanagement:Api",
  operation: "azure-native:apimanagement:ApiOperation",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  product: "azure-native:apimanagement:Product",
  productApi: "azure-native:apimanagement:ProductApi",
  subscription: "azure-native:apimanagement:Subscription",
} as const;
