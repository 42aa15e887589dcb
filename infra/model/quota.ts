/**
 * Real quota from Azure (issue #19): what `aoai-gateway quota` and `capacity` compute from what Azure
 * Resource Manager answers. Pure: the ARM calls live in infra/cli/arm.ts and hand their answers here as
 * plain data, so every rule below is tested without a network.
 *
 * ARM's usages (`.../locations/{l}/usages`) count capacity units per quota pool: `OpenAI.<type>.<model>`
 * for Standard-family types (1 unit = 1,000 TPM; for request-metered models 1 unit = the catalog's
 * rpmPerUnit requests a minute) and `OpenAI.<type>` for provisioned types (PTUs, shared by every model).
 * `currentValue` counts every deployment in the subscription and region, this stack's own included, so
 * the stack's deployments that already exist are read (accounts/deployments list) and taken out of
 * "used": they are replaced by the stack's allocation, never counted twice.
 */
import type { Catalog } from "../config/catalog";
import { type DeploymentType, isProvisioned } from "../config/schema";
import type { QuotaPoolModel, Topology } from "./topology";

/** One `usages` entry, in Azure's capacity units. */
export interface QuotaUsage {
  readonly name: string;
  readonly current: number;
  readonly limit: number;
}

export interface RegionModelSku {
  readonly name: string;
  readonly usageName?: string;
  readonly capacity?: { readonly minimum?: number; readonly maximum?: number; readonly step?: number };
}

/** One entry of `.../locations/{l}/models`. */
export interface RegionModel {
  readonly format: string;
  readonly name: string;
  readonly version: string;
  readonly skus: readonly RegionModelSku[];
  readonly lifecycleStatus?: string;
}

/** One deployment that exists in Azure in one of this stack's accounts. */
export interface ExistingDeployment {
  readonly account: string;
  readonly name: string;
  readonly model: string;
  readonly sku: string;
  readonly capacity: number;
}

/** What ARM answered for one subscription and region. */
export interface RegionRead {
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly usages: readonly QuotaUsage[];
  readonly models: readonly RegionModel[];
  /** This stack's deployments that already exist there (every account of the stack in that region). */
  readonly existing: readonly ExistingDeployment[];
}

export interface QuotaPoolReport {
  /** Subscription alias. */
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  /** The pool's model; `*` for a provisioned pool (shared by every model). */
  readonly model: string;
  readonly models: readonly string[];
  readonly sku: DeploymentType;
  /** TPM (token-metered), RPM (images, whisper, tts) or PTU (provisioned). */
  readonly unit: "TPM" | "RPM" | "PTU";
  /** ARM's usage name the figures come from. */
  readonly usageName: string;
  /** The pool's quota in `unit`, or null when ARM has no entry for it. */
  readonly limit: number | null;
  /** Used by deployments outside this stack, in `unit` (ARM's currentValue less this stack's existing deployments). */
  readonly used: number | null;
  /** What this stack's existing deployments draw today (part of ARM's currentValue), in `unit`. */
  readonly stackExisting: number;
  /** What this stack allocates once deployed, in `unit`. */
  readonly stackAllocated: number;
  /** limit - used - stackAllocated; negative when the stack does not fit; null when the limit is unknown. */
  readonly available: number | null;
  /** What `plan` assumes for the pool (override or published default), in `unit`, or null when it knows none. */
  readonly planQuota: number | null;
  readonly planQuotaSource: "override" | "default" | "unknown";
}

export interface QuotaReport {
  readonly pools: readonly QuotaPoolReport[];
  /** One line per pool the stack does not fit in and per model, version and type a region does not offer. */
  readonly problems: readonly string[];
  /** One line per subscription and region that could not be read (the report covers the rest). */
  readonly failures: readonly string[];
}

/** ARM's usage name of a pool: `OpenAI.<type>.<model>`, provisioned `OpenAI.<type>`. */
export function usageNameOf(model: string, sku: string): string {
  return isProvisioned(sku as DeploymentType) ? `OpenAI.${sku}` : `OpenAI.${sku}.${model}`;
}

/** How many of the pool's units one capacity unit is: 1,000 TPM, rpmPerUnit RPM, or 1 PTU. */
export function unitSize(catalog: Catalog, model: string, sku: string): { unit: "TPM" | "RPM" | "PTU"; size: number } {
  if (isProvisioned(sku as DeploymentType)) return { unit: "PTU", size: 1 };
  const entry = catalog.get(model);
  if (entry?.unit === "requests") return { unit: "RPM", size: entry.rpmPerUnit ?? 1 };
  return { unit: "TPM", size: 1000 };
}

const n = (v: number) => v.toLocaleString("en-US");

function poolReport(pool: QuotaPoolModel, read: RegionRead, catalog: Catalog): QuotaPoolReport {
  const provisioned = isProvisioned(pool.sku);
  const { unit, size } = unitSize(catalog, pool.models[0] ?? pool.model, pool.sku);
  // The models API names the usage entry each model and type draws from; the convention is the fallback.
  const fromModels = read.models
    .filter((m) => pool.models.includes(m.name))
    .flatMap((m) => m.skus)
    .find((s) => s.name === pool.sku && s.usageName)?.usageName;
  const usageName = fromModels ?? usageNameOf(pool.model, pool.sku);
  const usage = read.usages.find((u) => u.name.toLowerCase() === usageName.toLowerCase());
  const stackExisting =
    read.existing
      .filter((d) => d.sku === pool.sku && (provisioned || d.model === pool.model))
      .reduce((s, d) => s + d.capacity, 0) * size;
  const limit = usage ? usage.limit * size : null;
  const used = usage ? Math.max(0, usage.current * size - stackExisting) : null;
  return {
    subscription: pool.subscription.alias,
    subscriptionId: pool.subscription.id,
    location: pool.location,
    model: pool.model,
    models: pool.models,
    sku: pool.sku,
    unit,
    usageName,
    limit,
    used,
    stackExisting,
    stackAllocated: pool.allocated,
    available: limit === null || used === null ? null : limit - used - pool.allocated,
    planQuota: pool.quota,
    planQuotaSource: pool.quotaSource,
  };
}

/** The quota report of a stack from what ARM answered; regions in `failures` are left out. */
export function quotaReport(
  topology: Topology,
  catalog: Catalog,
  reads: readonly RegionRead[],
  failures: readonly string[] = [],
): QuotaReport {
  const readOf = (subscriptionId: string, location: string) =>
    reads.find((r) => r.subscriptionId === subscriptionId && r.location === location);
  const pools: QuotaPoolReport[] = [];
  const problems: string[] = [];
  for (const pool of topology.quotaPools) {
    const read = readOf(pool.subscription.id, pool.location);
    if (!read) continue;
    const p = poolReport(pool, read, catalog);
    pools.push(p);
    const name = `${p.subscription}/${p.location}/${p.model}/${p.sku}`;
    if (p.limit === null) {
      problems.push(
        `quota pool ${name}: Azure lists no quota ${p.usageName} for subscription ${p.subscription} (${p.subscriptionId}) in ${p.location}, so the stack's ${n(p.stackAllocated)} ${p.unit} cannot be deployed there; request quota (https://aka.ms/oai/stuquotarequest) or move the deployment`,
      );
    } else if (p.available !== null && p.available < 0) {
      problems.push(
        `quota pool ${name} does not fit: limit ${n(p.limit)} ${p.unit}, used by others ${n(p.used ?? 0)} ${p.unit}, this stack ${n(p.stackAllocated)} ${p.unit}: ${n(-p.available)} ${p.unit} short; lower capacity, move a deployment (aoai-gateway capacity proposes where), or request more quota`,
      );
    }
  }
  for (const account of topology.accounts) {
    const read = readOf(account.subscription.id, account.location);
    if (!read) continue;
    for (const d of account.deployments) {
      const versions = read.models.filter((m) => m.name === d.model);
      const offered = versions.some((m) => m.version === d.version && m.skus.some((s) => s.name === d.sku));
      if (offered) continue;
      const why =
        versions.length === 0
          ? "the region offers no version of it"
          : `the region offers ${[
              ...new Set(
                versions
                  .flatMap((m) => m.skus.map((s) => `${m.version} as ${s.name}`))
                  .sort((a, b) => a.localeCompare(b)),
              ),
            ].join(", ")}`;
      problems.push(
        `${d.configPath}: model ${d.model} version ${d.version} as ${d.sku} is not offered in ${account.location} (subscription ${account.subscription.alias}): ${why}`,
      );
    }
  }
  return { pools, problems, failures };
}

const cell = (v: number | null, unit: string) => (v === null ? "unknown" : `${n(v)} ${unit}`);

/** The text `aoai-gateway quota` prints. */
export function formatQuotaReport(report: QuotaReport, source: string): string {
  const out = [
    `Quota read from Azure Resource Manager for ${source} (per pool: limit, used by deployments outside this stack, this stack's allocation, room left)`,
  ];
  const rows = [["pool", "limit", "used (others)", "this stack", "available", ""]];
  for (const p of report.pools) {
    rows.push([
      `${p.subscription}/${p.location}/${p.model}/${p.sku}${p.model === "*" ? ` (${p.models.join(", ")})` : ""}`,
      cell(p.limit, p.unit),
      cell(p.used, p.unit),
      `${n(p.stackAllocated)} ${p.unit}`,
      cell(p.available, p.unit),
      p.available === null ? "no quota" : p.available < 0 ? "DOES NOT FIT" : "ok",
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  out.push(...rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd()));
  out.push(
    "  used (others): Azure's current usage less this stack's own deployments that already exist (they are replaced by this stack's allocation, not counted twice)",
  );
  // What plan assumes is only a default: say where Azure grants something else, so the stack file can follow.
  const differs = report.pools.filter((p) => p.limit !== null && p.planQuota !== p.limit);
  if (differs.length > 0) {
    out.push(
      "",
      `Azure's limit differs from what plan assumes (${differs.length}; set aoai-gateway:subscriptions[].quotas, or the subscription's offer or quota tier):`,
      ...differs.map(
        (p) =>
          `  - ${p.subscription}/${p.location}/${p.model}/${p.sku}: Azure ${cell(p.limit, p.unit)}, plan ${p.planQuota === null ? "unknown" : `${cell(p.planQuota, p.unit)} (${p.planQuotaSource})`}`,
      ),
    );
  }
  if (report.problems.length > 0)
    out.push("", `Problems (${report.problems.length}):`, ...report.problems.map((p) => `  - ${p}`));
  if (report.failures.length > 0)
    out.push("", `Not read (${report.failures.length}):`, ...report.failures.map((f) => `  - ${f}`));
  if (report.problems.length === 0 && report.failures.length === 0)
    out.push("", "Every pool fits and every region offers its models.");
  return out.join("\n") + "\n";
}

/** One place `modelCapacities` says there is room for a model (capacity units). */
export interface CapacityOffer {
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly sku: string;
  readonly model: string;
  readonly version: string;
  /** Free capacity units in that pool for this subscription. */
  readonly availableCapacity: number;
}

export interface CapacityRequest {
  readonly model: string;
  readonly version: string;
  readonly sku: DeploymentType;
  /** TPM wanted (token-metered) or RPM wanted (request-metered). */
  readonly amount: number;
  /** The deployment (route) name of the entries. */
  readonly deployment: string;
}

export interface ProposedEntry {
  readonly subscription: string;
  readonly location: string;
  readonly capacity: number;
  /** Units of `amount` it brings (TPM or RPM). */
  readonly amount: number;
  /** An account of the stack already in that subscription and region: add the deployment to its entry. */
  readonly existingAccountKey: string | null;
}

export interface CapacityProposal {
  readonly request: CapacityRequest;
  readonly unit: "TPM" | "RPM" | "PTU";
  readonly entries: readonly ProposedEntry[];
  readonly found: number;
  /** Offers left out, with the reason (the catalog refuses the region, the stack already fills the pool). */
  readonly skipped: readonly string[];
}

/**
 * Where to put `amount` of a model: `modelCapacities` answers per subscription, less what this stack
 * allocates there and has not deployed yet; regions the stack already has an account in first (no new
 * account), then the largest room. `offered(location)` is the catalog's answer (validation refuses the rest).
 */
export function proposeCapacity(
  topology: Topology,
  catalog: Catalog,
  request: CapacityRequest,
  offers: readonly CapacityOffer[],
  existing: readonly RegionRead[],
  offered: (location: string) => string | undefined,
): CapacityProposal {
  const { unit, size } = unitSize(catalog, request.model, request.sku);
  const provisioned = isProvisioned(request.sku);
  const skipped: string[] = [];
  const candidates = offers
    .filter((o) => o.sku === request.sku && o.model === request.model && o.version === request.version)
    .map((o) => {
      const pool = topology.quotaPools.find(
        (p) =>
          p.subscription.id === o.subscriptionId &&
          p.location === o.location &&
          p.sku === request.sku &&
          (provisioned || p.model === request.model),
      );
      const read = existing.find((r) => r.subscriptionId === o.subscriptionId && r.location === o.location);
      const deployed = (read?.existing ?? [])
        .filter((d) => d.sku === request.sku && (provisioned || d.model === request.model))
        .reduce((s, d) => s + d.capacity, 0);
      // Planned but not yet deployed capacity of this stack is not in Azure's figure yet.
      const pending = Math.max(0, (pool?.allocated ?? 0) / size - deployed);
      const room = Math.max(0, Math.floor(o.availableCapacity - pending));
      const account = topology.accounts.find(
        (a) => a.subscription.id === o.subscriptionId && a.location === o.location,
      );
      return { o, room, account };
    })
    .filter(({ o, room }) => {
      const refused = offered(o.location);
      if (refused !== undefined) skipped.push(`${o.subscription}/${o.location}: ${refused}`);
      else if (room <= 0)
        skipped.push(`${o.subscription}/${o.location}: no room left once this stack's allocation is counted`);
      return refused === undefined && room > 0;
    })
    .sort(
      (a, b) =>
        Number(b.account !== undefined) - Number(a.account !== undefined) ||
        b.room - a.room ||
        a.o.subscription.localeCompare(b.o.subscription) ||
        a.o.location.localeCompare(b.o.location),
    );
  const entries: ProposedEntry[] = [];
  let remaining = Math.ceil(request.amount / size);
  for (const { o, room, account } of candidates) {
    if (remaining <= 0) break;
    const capacity = Math.min(room, remaining);
    entries.push({
      subscription: o.subscription,
      location: o.location,
      capacity,
      amount: capacity * size,
      existingAccountKey: account?.key ?? null,
    });
    remaining -= capacity;
  }
  return { request, unit, entries, found: entries.reduce((s, e) => s + e.amount, 0), skipped };
}

/** The proposal as stack-file YAML to paste under `aoai-gateway:backends`, with what each entry brings. */
export function formatProposal(p: CapacityProposal): string {
  const r = p.request;
  const out = [
    `# ${n(p.found)} of ${n(r.amount)} ${p.unit} of ${r.model} ${r.version} (${r.sku}) found in ${p.entries.length} pool${p.entries.length === 1 ? "" : "s"}.`,
    "# Paste under aoai-gateway:backends in the stack file, then run `aoai-gateway plan` and `aoai-gateway quota`.",
  ];
  for (const e of p.entries) {
    const deployment = [
      `        - name: ${r.deployment}`,
      `          model: ${r.model}`,
      `          version: "${r.version}"`,
      `          sku: ${r.sku}`,
      `          capacity: ${e.capacity} # ${n(e.amount)} ${p.unit}`,
    ];
    if (e.existingAccountKey !== null) {
      out.push(
        `    # ${e.subscription}/${e.location}: the stack already has account ${e.existingAccountKey} here; add this deployment to that entry's deployments instead of a new entry`,
        ...deployment,
      );
    } else {
      out.push(
        `    - subscription: ${e.subscription}`,
        `      location: ${e.location}`,
        `      deployments:`,
        ...deployment,
      );
    }
  }
  if (p.skipped.length > 0) out.push(`# Left out: ${p.skipped.join("; ")}`);
  return out.join("\n") + "\n";
}
