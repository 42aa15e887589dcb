/**
 * A minimal valid raw `aoai-gateway:` config (keys without the namespace
 * prefix, as namespaceConfig returns them). Every call returns a fresh deep
 * copy, so a test can mutate it freely.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ConfigError, validateConfig } from "../../infra/config/validate";

export interface RawDeployment {
  name: string;
  model: string;
  version: string;
  sku: string;
  capacity: number;
  priority?: number;
  weight?: number;
  tpmPerPtu?: number;
  [key: string]: unknown;
}

export interface RawBackend {
  subscription: string;
  location: string;
  deployments: RawDeployment[];
  [key: string]: unknown;
}

export interface RawQuota {
  model?: string;
  sku: string;
  location: string;
  tpm?: number;
  ptu?: number;
  [key: string]: unknown;
}

export interface RawSubscription {
  alias: string;
  id: string;
  offer?: string;
  quotas?: RawQuota[];
  [key: string]: unknown;
}

export interface RawConfigFixture {
  gateway: {
    name: string;
    subscription: string;
    location: string;
    sku: string;
    capacity?: number;
    publisherEmail: string;
    publisherName: string;
    [key: string]: unknown;
  };
  subscriptions: RawSubscription[];
  backends: RawBackend[];
  [key: string]: unknown;
}

export const HUB_ID = "00000000-0000-0000-0000-000000000001";
export const SPOKE_ID = "00000000-0000-0000-0000-000000000002";

/** A deployment of gpt-4o GlobalStandard, 100K TPM, with `overrides` applied. */
export function deployment(overrides: Partial<RawDeployment> = {}): RawDeployment {
  return {
    name: "gpt-4o",
    model: "gpt-4o",
    version: "2024-11-20",
    sku: "GlobalStandard",
    capacity: 100,
    ...overrides,
  };
}

/** One account in subscription `hub`, swedencentral, with `deployments` (default: one gpt-4o deployment). */
export function backend(overrides: Partial<RawBackend> = {}): RawBackend {
  return {
    subscription: "hub",
    location: "swedencentral",
    deployments: [deployment()],
    ...overrides,
  };
}

/**
 * Gateway `contoso-ai` (BasicV2, 1 unit) in subscription `hub`; subscriptions
 * `hub` and `spoke` (Default offer); one backend: hub / swedencentral / gpt-4o
 * GlobalStandard 100.
 */
export function validRawConfig(): RawConfigFixture {
  return structuredClone({
    gateway: {
      name: "contoso-ai",
      subscription: "hub",
      location: "swedencentral",
      sku: "BasicV2",
      capacity: 1,
      publisherEmail: "platform@contoso.com",
      publisherName: "Contoso Platform",
    },
    subscriptions: [
      { alias: "hub", id: HUB_ID, offer: "Default" },
      { alias: "spoke", id: SPOKE_ID, offer: "Default" },
    ],
    backends: [backend()],
  });
}

/** A GUID-shaped subscription id ending in `n` (for configs with many subscriptions). */
export function subscriptionId(n: number): string {
  return `00000000-0000-0000-0000-${n.toString(16).padStart(12, "0")}`;
}

/**
 * The problems validateConfig reports for `raw`. Fails the calling test when
 * validateConfig accepts the config or throws anything but a ConfigError.
 */
export function configProblems(raw: unknown): readonly string[] {
  return configErrorOf(() => validateConfig(raw));
}

/** The problems of the ConfigError `fn` throws. Fails when it returns or throws anything else. */
export function configErrorOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

/** Write `raw` into `dir` as a Pulumi stack file `<name>.yaml` (namespaced keys under `config:`); returns its path. */
export function writeStackFile(dir: string, name: string, raw: RawConfigFixture): string {
  const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`aoai-gateway:${k}`, v]));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ config }));
  return file;
}
