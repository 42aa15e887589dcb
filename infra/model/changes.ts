/**
 * What a stack change does to a running stack (issue #11): the topology of
 * the stack file as deployed (`--against`) compared with the one to deploy,
 * resource by resource, with the same replace rules the components use
 * (components/openai-account.ts, components/api-gateway.ts). Pure; offline,
 * so a pull request can say "this replaces a deployment" before any preview.
 */
import { gatewayRegionChanges } from "./region-changes";
import type { AccountModel, DeploymentModel, Topology } from "./topology";

export type ChangeKind = "create" | "delete" | "update" | "replace" | "ignored" | "refused";

export interface Change {
  readonly kind: ChangeKind;
  /** What changes: `gateway`, `account <key>`, `deployment <account key>/<name>`. */
  readonly resource: string;
  /** Which keys changed, old -> new. */
  readonly what: string;
  /** What it means while `up` runs: downtime, quota, names. */
  readonly effect: string;
}

const arrow = (label: string, a: unknown, b: unknown) => `${label} ${String(a)} -> ${String(b)}`;

function diffKeys<T>(before: T, after: T, keys: readonly (keyof T & string)[]): string[] {
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => arrow(k, JSON.stringify(before[k]), JSON.stringify(after[k])));
}

function gatewayChanges(before: Topology["gateway"], after: Topology["gateway"]): Change[] {
  const what = diffKeys(before, after, ["sku", "capacity", "location", "publisherEmail", "publisherName"]);
  if (before.resourceGroup.name !== after.resourceGroup.name) {
    what.push(arrow("resourceGroup", before.resourceGroup.name, after.resourceGroup.name));
  }
  if (what.length === 0) return [];
  const resource = "gateway";
  if (before.serviceName !== after.serviceName) {
    return [
      {
        kind: "replace",
        resource,
        what: what.join(", "),
        effect: `a new API Management service ${after.serviceName} is created beside ${before.serviceName} (Premium v2 is another resource type with a name of its own), then the old one is deleted: clients move to ${after.url} and new consumer keys; no gap while both exist, but the old URL stops answering once the role assignments move to the new identity`,
      },
    ];
  }
  if (before.location !== after.location || before.resourceGroup.name !== after.resourceGroup.name) {
    return [
      {
        kind: "refused",
        resource,
        what: what.join(", "),
        effect: `the service would be replaced under the same globally unique name ${after.serviceName}, which Azure holds until the old service is deleted and purged (soft delete, 48 hours): keep location and resource group, or destroy the gateway and purge it first`,
      },
    ];
  }
  if (before.tier.family !== after.tier.family && before.sku !== after.sku) {
    return [
      {
        kind: "refused",
        resource,
        what: what.join(", "),
        effect: `Azure does not change an API Management service between the ${before.tier.family} and ${after.tier.family} tier families in place; deploy a new gateway (another gateway.name) and move clients`,
      },
    ];
  }
  const slow = after.tier.family === "classic" && (before.sku !== after.sku || before.capacity !== after.capacity);
  return [
    {
      kind: "update",
      resource,
      what: what.join(", "),
      effect: slow
        ? "in place; a classic tier scales or changes tier in 30-60+ minutes, the gateway keeps serving"
        : "in place, the gateway keeps serving",
    },
  ];
}

function deploymentChange(account: AccountModel, before: DeploymentModel, after: DeploymentModel): Change | undefined {
  const resource = `deployment ${account.key}/${after.name}`;
  const replaced = diffKeys(before, after, ["model", "sku"]);
  if (replaced.length > 0) {
    return {
      kind: "replace",
      resource,
      what: replaced.join(", "),
      effect: `Azure cannot change a deployment's model or type in place: deleted first (so old and new never draw from one quota pool at once), then created; member ${account.key}/${after.name} is out of route ${after.name} meanwhile and the other members serve`,
    };
  }
  const what = diffKeys(before, after, ["capacity", "versionUpgradeOption", "raiPolicyName", "priority", "weight"]);
  const version = before.version !== after.version ? arrow("version", before.version, after.version) : undefined;
  if (version && after.versionUpgradeOption === "NoAutoUpgrade") what.push(version);
  if (what.length > 0) {
    const grows = after.capacity > before.capacity;
    return {
      kind: "update",
      resource,
      what: what.join(", "),
      effect: `in place, no downtime${grows ? "; the higher capacity is checked against the quota pool" : ""}${version && after.versionUpgradeOption !== "NoAutoUpgrade" ? `; the version change is ignored (auto-upgrade ${after.versionUpgradeOption} manages it; set NoAutoUpgrade to pin it)` : ""}`,
    };
  }
  if (version) {
    return {
      kind: "ignored",
      resource,
      what: version,
      effect: `versionUpgradeOption ${after.versionUpgradeOption} lets Azure manage the version, so the program ignores it; set NoAutoUpgrade to pin a version`,
    };
  }
  return undefined;
}

function accountChanges(before: AccountModel, after: AccountModel): Change[] {
  const changes: Change[] = [];
  const resource = `account ${after.key}`;
  const replaced = before.name !== after.name;
  if (replaced) {
    changes.push({
      kind: "replace",
      resource,
      what: arrow("resourceGroup", before.resourceGroup.name, after.resourceGroup.name),
      effect: `a new account ${after.name} (the resource group is part of the name), the old one deleted first with its deployments and soft-deleted for 48 hours (its quota stays drawn until purged); the account's members are out meanwhile`,
    });
  } else {
    const what = diffKeys(before, after, ["publicNetworkAccess", "tags"]);
    if (what.length > 0)
      changes.push({ kind: "update", resource, what: what.join(", "), effect: "in place, no downtime" });
  }
  const old = new Map(before.deployments.map((d) => [d.name, d]));
  for (const d of after.deployments) {
    const prev = old.get(d.name);
    if (!prev) {
      changes.push({
        kind: "create",
        resource: `deployment ${after.key}/${d.name}`,
        what: `${d.model} ${d.sku} ${d.capacity}`,
        effect: "joins route " + d.name,
      });
    } else if (replaced) {
      changes.push({
        kind: "replace",
        resource: `deployment ${after.key}/${d.name}`,
        what: "its account is replaced",
        effect: "re-created in the new account",
      });
    } else {
      const change = deploymentChange(after, prev, d);
      if (change) changes.push(change);
    }
  }
  const now = new Set(after.deployments.map((d) => d.name));
  for (const d of before.deployments) {
    if (!now.has(d.name)) {
      changes.push({
        kind: "delete",
        resource: `deployment ${after.key}/${d.name}`,
        what: `${d.model} ${d.sku}`,
        effect: `leaves route ${d.name}; its quota is freed`,
      });
    }
  }
  return changes;
}

/**
 * Give a stack file written before backend keys existed the keys its account
 * names were derived from: the n-th entry (n > 1) of one subscription and
 * region was `<alias>-<region>-<n>`, which is key "n" now. Entries with a key
 * keep it. Used on the `--against` side only, so a plan compares against the
 * names actually deployed.
 */
export function addLegacyKeys(raw: Record<string, unknown>): void {
  if (!Array.isArray(raw.backends)) return;
  const seen = new Map<string, number>();
  for (const entry of raw.backends as unknown[]) {
    if (entry === null || typeof entry !== "object") continue;
    const b = entry as Record<string, unknown>;
    const group = `${String(b.subscription)}|${String(b.location)}`;
    const n = (seen.get(group) ?? 0) + 1;
    seen.set(group, n);
    if (b.key === undefined && n > 1) b.key = String(n);
  }
}

/** Changes from the deployed topology `before` to `after`, gateway first, then accounts by key. */
export function diffTopologies(before: Topology, after: Topology): Change[] {
  const changes = [
    ...gatewayChanges(before.gateway, after.gateway),
    ...gatewayRegionChanges(before.gateway, after.gateway),
  ];
  const old = new Map(before.accounts.map((a) => [a.key, a]));
  const keys = [...new Set([...before.accounts.map((a) => a.key), ...after.accounts.map((a) => a.key)])].sort();
  for (const key of keys) {
    const a = after.accounts.find((x) => x.key === key);
    const b = old.get(key);
    if (a && b) changes.push(...accountChanges(b, a));
    else if (a) {
      changes.push({
        kind: "create",
        resource: `account ${key}`,
        what: `${a.subscription.alias} ${a.location}`,
        effect: `new account ${a.name} with ${a.deployments.length} deployment${a.deployments.length === 1 ? "" : "s"}`,
      });
    } else if (b) {
      changes.push({
        kind: "delete",
        resource: `account ${key}`,
        what: `${b.subscription.alias} ${b.location}`,
        effect: `deleted with its deployments; soft-deleted for 48 hours, holding its name and (for PTU) billing until purged`,
      });
    }
  }
  return changes;
}

/** The text section `plan --against` appends. */
export function formatChanges(changes: readonly Change[], against: string): string {
  if (changes.length === 0) return `Changes against ${against}: none\n`;
  const lines = changes.map((c) => `  ${c.kind.padEnd(8)} ${c.resource}: ${c.what}\n           ${c.effect}`);
  const replaces = changes.filter((c) => c.kind === "replace").length;
  const refused = changes.filter((c) => c.kind === "refused").length;
  return (
    `Changes against ${against} (${changes.length}; ${replaces} replace${replaces === 1 ? "" : "s"}${refused > 0 ? `, ${refused} refused` : ""}):\n` +
    lines.join("\n") +
    "\n"
  );
}
