/**
 * The `plan` report: what a stack deploys and the throughput it unlocks, as a
 * JSON-ready object and as text. Pure.
 */
import type { QuotaPoolModel, Topology } from "./topology";

export interface PlanMember {
  /** APIM backend id of this member (one per account and deployment). */
  readonly backendId: string;
  readonly account: string;
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly sku: string;
  readonly capacity: number;
  readonly capacityTpm: number | null;
  readonly rpm: number | null;
  readonly priority: number;
  readonly weight: number;
  /** Expected share of the route's traffic while nothing is throttled, 0..1 (0 = spillover only). */
  readonly share: number;
}

export interface PlanRoute {
  readonly deployment: string;
  readonly model: string;
  readonly usableTpm: number;
  readonly members: readonly PlanMember[];
}

export interface PlanQuotaPool {
  readonly subscription: string;
  readonly subscriptionId: string;
  readonly location: string;
  /** The pool's model; `*` for a provisioned pool, shared by every model. */
  readonly model: string;
  /** Models drawing from the pool. */
  readonly models: readonly string[];
  readonly sku: string;
  /** Standard-family quota in TPM; null when unknown or for provisioned pools. */
  readonly quotaTpm: number | null;
  /** Standard-family allocation in TPM; null for provisioned pools (see allocatedPtu). */
  readonly allocatedTpm: number | null;
  readonly quotaPtu?: number | null;
  readonly allocatedPtu?: number;
  readonly quotaSource: "override" | "default" | "unknown";
  /** allocated / quota, 0..1, or null when the quota is unknown or 0. */
  readonly utilization: number | null;
}

export interface Plan {
  readonly gateway: {
    readonly name: string;
    readonly subscription: string;
    readonly location: string;
    readonly sku: string;
    readonly capacity: number;
    readonly routingMode: string;
    readonly monthlyUsd: number;
    readonly pricingNote: string;
  };
  readonly totalTpm: number;
  readonly routes: readonly PlanRoute[];
  readonly quotaPools: readonly PlanQuotaPool[];
  readonly warnings: readonly string[];
}

function poolToPlan(p: QuotaPoolModel): PlanQuotaPool {
  const utilization = p.quota ? p.allocated / p.quota : null;
  const base = {
    subscription: p.subscription.alias,
    subscriptionId: p.subscription.id,
    location: p.location,
    model: p.model,
    models: p.models,
    sku: p.sku,
  };
  if (p.unit === "PTU") {
    return {
      ...base,
      quotaTpm: null,
      allocatedTpm: null,
      quotaPtu: p.quota,
      allocatedPtu: p.allocated,
      quotaSource: p.quotaSource,
      utilization,
    };
  }
  return { ...base, quotaTpm: p.quota, allocatedTpm: p.allocated, quotaSource: p.quotaSource, utilization };
}

export function createPlan(topology: Topology): Plan {
  const g = topology.gateway;
  return {
    gateway: {
      name: g.name,
      subscription: g.subscription.alias,
      location: g.location,
      sku: g.sku,
      capacity: g.capacity,
      routingMode: topology.routingMode,
      monthlyUsd: g.monthlyUsd,
      pricingNote: g.tier.pricingNote,
    },
    totalTpm: topology.totalTpm,
    routes: topology.routes.map((r) => ({
      deployment: r.name,
      model: r.model,
      usableTpm: r.usableTpm,
      members: r.members.map((m) => ({
        backendId: m.backendId,
        account: m.accountKey,
        subscription: m.subscription.alias,
        subscriptionId: m.subscription.id,
        location: m.location,
        sku: m.deployment.sku,
        capacity: m.deployment.capacity,
        capacityTpm: m.deployment.capacityTpm,
        rpm: m.deployment.rpm,
        priority: m.priority,
        weight: m.weight,
        share: m.share,
      })),
    })),
    quotaPools: topology.quotaPools.map(poolToPlan),
    warnings: topology.warnings,
  };
}

const n = (v: number) => v.toLocaleString("en-US");
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map(
    (r) =>
      "  " +
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
  );
}

/** The human-readable plan. */
export function formatPlan(plan: Plan): string {
  const g = plan.gateway;
  const out: string[] = [];
  out.push(
    `Gateway ${g.name}: API Management ${g.sku}${g.capacity > 0 ? `, ${g.capacity} unit${g.capacity === 1 ? "" : "s"},` : ""} in ${g.location} (subscription ${g.subscription}), routing mode ${g.routingMode}`,
    `  about ${g.monthlyUsd.toLocaleString("en-US", { style: "currency", currency: "USD" })} a month base price (${g.pricingNote})`,
    "",
  );
  for (const r of plan.routes) {
    out.push(
      `Route ${r.deployment} (model ${r.model}): ${n(r.usableTpm)} TPM usable over ${r.members.length} member${r.members.length === 1 ? "" : "s"}`,
    );
    const rows = [
      ["backend", "priority", "weight", "share", "subscription", "region", "type", "capacity", "TPM", "RPM"],
    ];
    for (const m of r.members) {
      rows.push([
        m.backendId,
        String(m.priority),
        String(m.weight),
        m.share > 0 ? pct(m.share) : "spillover",
        m.subscription,
        m.location,
        m.sku,
        `${n(m.capacity)}${m.sku.includes("Provisioned") ? " PTU" : "K"}`,
        m.capacityTpm === null ? "?" : n(m.capacityTpm),
        m.rpm === null ? (m.sku.includes("Provisioned") ? "-" : "?") : n(m.rpm),
      ]);
    }
    out.push(...table(rows), "");
  }
  out.push(
    "Quota pools (subscription / region / model / type; * = every model, provisioned quota is model-independent): allocated of quota",
  );
  const rows = [["pool", "allocated", "quota", "use", "source"]];
  for (const p of plan.quotaPools) {
    const ptu = p.allocatedPtu !== undefined;
    const unit = ptu ? "PTU" : "TPM";
    const allocated = ptu ? (p.allocatedPtu ?? 0) : (p.allocatedTpm ?? 0);
    const quota = ptu ? p.quotaPtu : p.quotaTpm;
    rows.push([
      `${p.subscription}/${p.location}/${p.model}/${p.sku}${p.model === "*" ? ` (${p.models.join(", ")})` : ""}`,
      `${n(allocated)} ${unit}`,
      quota === null || quota === undefined ? "unknown" : `${n(quota)} ${unit}`,
      p.utilization === null ? "-" : pct(p.utilization),
      p.quotaSource,
    ]);
  }
  out.push(...table(rows), "");
  out.push(`Total usable throughput: ${n(plan.totalTpm)} TPM`);
  if (plan.warnings.length > 0) {
    out.push("", `Warnings (${plan.warnings.length}):`, ...plan.warnings.map((w) => `  - ${w}`));
  }
  return out.join("\n") + "\n";
}
