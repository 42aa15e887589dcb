/**
 * What a stack change does to a running stack (issue #11): the topology of
 * the stack file as deployed (`--against`) compared with the one to deploy,
 * resource by resource, with the same replace rules the components use
 * (components/openai-account.ts, components/api-gateway.ts). Pure; offline,
 * so a pull request can say "this replaces a deployment" before any preview.
 */
import type { SubnetModel } from "./network";
import { gatewayRegionChanges } from "./region-changes";
import type { AccountModel, DeploymentModel, Topology } from "./topology";

export type ChangeKind = "create" | "delete" | "update" | "replace" | "ignored" | "refused" | "outage";

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
      effect: `Azure cannot change a deployment's model or type in place: deleted first (so old and new never draw from one quota pool at once), then created; member ${account.key}/${after.name} is out of route ${after.name} meanwhile`,
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

/**
 * What turning an account's public access off or on does (issue #20). Off in the same `up` that creates
 * its private endpoint interrupts: the account refuses public calls as soon as its update lands, which
 * can be before the endpoint, its zone group and the zone's link exist, and until then the gateway
 * resolves the public address and gets 403 "Public access is disabled" (TabularEditor3#1557).
 */
function publicAccessEffect(before: AccountModel, after: AccountModel, privateBefore: boolean): string | undefined {
  if (before.publicNetworkAccess === after.publicNetworkAccess) return undefined;
  if (after.publicNetworkAccess === "Enabled") {
    return "in place; the account answers from the internet again, around the gateway";
  }
  return privateBefore
    ? "in place; the gateway already reaches the account through its private endpoint (check with nslookup from the network first, docs/networking.md), so nothing is interrupted"
    : "INTERRUPTS: public access goes off in the same up that creates the account's private endpoint and DNS records; until they exist (minutes) the gateway resolves the public address and gets 403, which does not fail over. Do it in two ups: first the network with publicNetworkAccess: Enabled on the backends, then remove that setting (docs/networking.md)";
}

function accountChanges(before: AccountModel, after: AccountModel, privateBefore = false): Change[] {
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
      changes.push({
        kind: "update",
        resource,
        what: what.join(", "),
        effect: publicAccessEffect(before, after, privateBefore) ?? "in place, no downtime",
      });
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

/** Changes from the deployed topology `before` to `after`, gateway first, then the network, then accounts by key. */
export function diffTopologies(before: Topology, after: Topology): Change[] {
  const changes = [
    ...gatewayChanges(before.gateway, after.gateway),
    ...gatewayRegionChanges(before.gateway, after.gateway),
    ...networkChanges(before, after),
  ];
  const old = new Map(before.accounts.map((a) => [a.key, a]));
  const keys = [...new Set([...before.accounts.map((a) => a.key), ...after.accounts.map((a) => a.key)])].sort();
  for (const key of keys) {
    const a = after.accounts.find((x) => x.key === key);
    const b = old.get(key);
    if (a && b) changes.push(...accountChanges(b, a, before.network !== null));
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
  const outages = routeOutages(before, after, changes);
  return [...withServingNote(changes, outages), ...outages];
}

/**
 * Whether a member is deleted first: its deployment or its account is replaced (deleteBeforeReplace).
 * A member removed from the stack file is not: Pulumi deletes removed resources at the end of the update,
 * after every create, so it serves until then.
 */
function memberGoesFirst(changes: readonly Change[], accountKey: string, deployment: string): boolean {
  return changes.some(
    (c) =>
      c.kind === "replace" &&
      (c.resource === `deployment ${accountKey}/${deployment}` || c.resource === `account ${accountKey}`),
  );
}

/**
 * Routes the `up` takes down (issue #17): every member the route has today is replaced delete-first while
 * the route stays, so from the first delete until a new deployment is created it has none. Members that are
 * only created in this `up` do not help: nothing orders their creation before those deletes.
 * Replacements whose route keeps other members say so.
 */
export function routeOutages(before: Topology, after: Topology, changes: readonly Change[]): Change[] {
  const outages: Change[] = [];
  for (const route of after.routes) {
    const old = before.routes.find((r) => r.name === route.name);
    if (!old) continue;
    const kept = old.members.filter((m) => !memberGoesFirst(changes, m.accountKey, m.deployment.name));
    if (kept.length > 0) continue;
    const members = old.members.map((m) => `${m.accountKey}/${m.deployment.name}`).join(", ");
    outages.push({
      kind: "outage",
      resource: `route ${route.name}`,
      what: `every member is replaced delete-first in this up (${members})`,
      effect: `route ${route.name} is down from the first delete until a new deployment is created (calls to it fail meanwhile). To keep it serving, take two ups: first add members with the new settings beside the old ones (another backend entry with its own key, in another subscription or region) and deploy; then remove or change the old members and deploy again`,
    });
  }
  return outages;
}

/** The per-member replacements of routes that keep other members: say that they serve. */
function withServingNote(changes: readonly Change[], outages: readonly Change[]): Change[] {
  const down = new Set(outages.map((o) => o.resource.slice("route ".length)));
  return changes.map((c) => {
    const m = /^deployment [^/]+\/(.+)$/.exec(c.resource);
    if (c.kind !== "replace" || !m || down.has(m[1]) || !c.effect.includes("is out of route")) return c;
    return { ...c, effect: `${c.effect} and the route's other members serve` };
  });
}

const subnetText = (s: SubnetModel) => (s.existing ? s.id : s.addressPrefix);

/** How long API Management takes to move in or out of a network, and what clients see meanwhile. */
function gatewayNetworkEffect(topology: Topology): string {
  const g = topology.gateway;
  if (g.tier.family === "classic") {
    return `a network change on a classic tier is an infrastructure update of 30-60+ minutes (Learn: "Changes to your API Management service's infrastructure ... can take 15 minutes or longer"); ${g.sku === "Developer" ? "Developer has one unit and no SLA: the gateway is down during it" : "Premium keeps serving while units are moved one by one"}`;
  }
  return "in place; the gateway keeps serving while its outbound path moves (minutes)";
}

/**
 * Network changes (issue #20): what joining, leaving or re-arranging the private network replaces or
 * interrupts. Endpoints and zone groups are keyed by account, like the accounts.
 */
export function networkChanges(before: Topology, after: Topology): Change[] {
  const a = after.network;
  const b = before.network;
  const changes: Change[] = [];
  if (a === null && b === null) return changes;
  if (b === null && a !== null) {
    changes.push({
      kind: "create",
      resource: "network",
      what: `${a.createdNetwork ? `virtual network ${a.createdNetwork.name}` : "existing subnets"}, ${a.accountEndpoints.length + (a.gatewayEndpoint ? 1 : 0)} private endpoints, zone ${a.zones.openai.zone}${a.zones.apim ? ` and ${a.zones.apim.zone}` : ""}`,
      effect: "new resources; nothing is interrupted by them",
    });
    changes.push({
      kind: after.gateway.sku === "PremiumV2" && a.mode === "Internal" ? "refused" : "update",
      resource: "gateway",
      what: `network None -> ${a.mode}`,
      effect:
        after.gateway.sku === "PremiumV2" && a.mode === "Internal"
          ? "Premium v2 is injected into a network only when it is created (Learn, inject-vnet-v2): deploy a new gateway (another gateway.name) and move clients, or use Integration"
          : gatewayNetworkEffect(after),
    });
    return changes;
  }
  if (a === null && b !== null) {
    changes.push({
      kind: before.gateway.sku === "PremiumV2" && b.mode === "Internal" ? "refused" : "delete",
      resource: "network",
      what: `${b.mode} -> None`,
      effect:
        before.gateway.sku === "PremiumV2" && b.mode === "Internal"
          ? "an injected Premium v2 service cannot leave its network: deploy a new gateway"
          : `the private endpoints, zones and links are deleted and the gateway leaves the subnet (${gatewayNetworkEffect(after)}); the accounts must be public again first (validation refuses Disabled without a network)`,
    });
    return changes;
  }
  if (a === null || b === null) return changes;
  if (a.mode !== b.mode) {
    const premiumV2 = after.gateway.sku === "PremiumV2";
    changes.push({
      kind: premiumV2 ? "refused" : "update",
      resource: "gateway",
      what: `network mode ${b.mode} -> ${a.mode}`,
      effect: premiumV2
        ? "Premium v2 cannot switch between injection and integration (Learn, inject-vnet-v2): deploy a new gateway"
        : `${gatewayNetworkEffect(after)}${a.mode === "Internal" ? "; afterwards the gateway answers only inside the network: clients outside lose it" : ""}`,
    });
  }
  if (a.gatewayPublicNetworkAccess !== b.gatewayPublicNetworkAccess) {
    changes.push({
      kind: "update",
      resource: "gateway",
      what: `publicNetworkAccess ${b.gatewayPublicNetworkAccess} -> ${a.gatewayPublicNetworkAccess}`,
      effect:
        a.gatewayPublicNetworkAccess === "Disabled"
          ? "INTERRUPTS clients outside the network: from now on only the private endpoint answers; Azure refuses it unless the endpoint is approved"
          : "in place; the gateway answers from the internet again",
    });
  }
  if (subnetText(a.gatewaySubnet) !== subnetText(b.gatewaySubnet)) {
    changes.push({
      kind: "update",
      resource: "gateway subnet",
      what: `${subnetText(b.gatewaySubnet)} -> ${subnetText(a.gatewaySubnet)}`,
      effect: `API Management moves to the new subnet: ${gatewayNetworkEffect(after)}${a.gatewaySubnet.existing ? "" : "; a created subnet whose prefix changes is replaced, which Azure refuses while the service still uses it: move the service first (two ups)"}`,
    });
  }
  const endpointsMove =
    subnetText(a.privateEndpointSubnet) !== subnetText(b.privateEndpointSubnet) || a.approval !== b.approval;
  const old = new Map(
    [...b.accountEndpoints, ...(b.gatewayEndpoint ? [b.gatewayEndpoint] : [])].map((e) => [e.key, e]),
  );
  for (const e of [...a.accountEndpoints, ...(a.gatewayEndpoint ? [a.gatewayEndpoint] : [])]) {
    const prev = old.get(e.key);
    if (!prev) {
      changes.push({
        kind: "create",
        resource: `private endpoint ${e.key}`,
        what: `${e.groupId} -> ${e.target}`,
        effect: `registered in ${e.zone}`,
      });
    } else if (endpointsMove) {
      changes.push({
        kind: "replace",
        resource: `private endpoint ${e.key}`,
        what: [
          subnetText(a.privateEndpointSubnet) !== subnetText(b.privateEndpointSubnet)
            ? `subnet ${subnetText(b.privateEndpointSubnet)} -> ${subnetText(a.privateEndpointSubnet)}`
            : "",
          a.approval !== b.approval ? `approval ${b.approval} -> ${a.approval}` : "",
        ]
          .filter((x) => x !== "")
          .join(", "),
        effect: `deleted first, then created (Azure changes neither subnet nor connection in place): ${e.key === "gateway" ? "private clients lose the gateway" : `the gateway cannot reach ${e.key} (a private account)`} for the minutes between, and its other members serve`,
      });
    }
  }
  const now = new Set([...a.accountEndpoints, ...(a.gatewayEndpoint ? [a.gatewayEndpoint] : [])].map((e) => e.key));
  for (const [key, e] of old) {
    if (!now.has(key)) {
      changes.push({
        kind: "delete",
        resource: `private endpoint ${key}`,
        what: `${e.groupId} -> ${e.target}`,
        effect: "its DNS record goes with it",
      });
    }
  }
  for (const key of ["openai", "apim"] as const) {
    const za = a.zones[key];
    const zb = b.zones[key];
    if (za && zb && (za.existingId ?? "created") !== (zb.existingId ?? "created")) {
      changes.push({
        kind: "replace",
        resource: `zone ${za.zone}`,
        what: `${zb.existingId ?? "created"} -> ${za.existingId ?? "created"}`,
        effect:
          "every zone group moves to the other zone: names resolve publicly for the minutes between (403 from private accounts); make sure the new zone is linked to the gateway's network first",
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
  const outages = changes.filter((c) => c.kind === "outage").length;
  const resources = changes.length - outages;
  // Updates that interrupt traffic (issue #20: public access off before DNS resolves privately).
  const interrupts = changes.filter((c) => c.effect.startsWith("INTERRUPTS")).length;
  return (
    `Changes against ${against} (${resources}; ${replaces} replace${replaces === 1 ? "" : "s"}${interrupts > 0 ? `, ${interrupts} interrupt${interrupts === 1 ? "" : "s"}` : ""}${refused > 0 ? `, ${refused} refused` : ""}${outages > 0 ? `; ${outages} route${outages === 1 ? "" : "s"} down during the up` : ""}):\n` +
    lines.join("\n") +
    "\n"
  );
}
