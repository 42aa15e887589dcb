/** Text output of `simulate` and `simulate --compare`. Pure. */
import type { SimulationResult } from "./simulate";
import { largestRemainder, perPeriod } from "../model/wording";

const n = (v: number) => Math.round(v).toLocaleString("en-US");
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Percents with one decimal of shares that sum to 1, rounded so the shown numbers add up to 100.0 (issue #17). */
export function sharesAddingUp(shares: readonly number[]): number[] {
  return largestRemainder(shares, 1000).map((v) => v / 10);
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map(
    (r) =>
      "  " +
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join("  ")
        .trimEnd(),
  );
}

/** Bounded wait and client retries as clients see them (issue #21). */
function clientLines(r: SimulationResult): string[] {
  const c = r.clients;
  const a = c.addedLatencySeconds;
  return [
    `Bounded wait: ${c.maxWaitSeconds > 0 ? `up to ${c.maxWaitSeconds} s` : "off"}; ${pct(c.heldShare)} of gateway calls held; client retries after 429/503: ${c.clientRetries}`,
    `Clients: served first try ${pct(c.servedFirstTryShare)}, served eventually ${pct(c.servedEventuallyShare)}; added latency of served requests (s): p50 ${a.p50}, p90 ${a.p90}, p99 ${a.p99}, max ${a.max}`,
  ];
}

export function formatSimulation(r: SimulationResult): string {
  const out: string[] = [];
  out.push(
    `Simulation of ${r.gateway}: routing mode ${r.routingMode}, ${r.gatewayUnits} gateway unit${r.gatewayUnits === 1 ? "" : "s"}, retry count ${r.retryCount}`,
    `  ${r.profile} load for ${r.durationSeconds} s, ${n(r.tokensPerRequest)} tokens per request (prompt + max_tokens), seed ${r.seed}, Azure rate windows of ${r.windowSeconds} s`,
    "",
    `Offered: ${n(r.offeredRequests)} requests, ${n(r.offeredTpm)} TPM (${pct(r.totalTpm > 0 ? r.offeredTpm / r.totalTpm : 0)} of the plan's ${n(r.totalTpm)} usable TPM)`,
    `Served:  ${n(r.servedRequests)} requests (${pct(r.servedShare)}), ${n(r.servedTpm)} TPM (${pct(r.totalTpm > 0 ? r.servedTpm / r.totalTpm : 0)} of usable)`,
    `Client errors: ${n(r.client429Requests)} x 429, ${n(r.client5xxRequests)} x 5xx${r.teams.length > 0 ? `, ${n(r.client403Requests)} x 403 (team quotas)` : ""}`,
    `Retries per request (extra upstream calls): p50 ${r.retriesPerRequest.p50}, p99 ${r.retriesPerRequest.p99}, max ${r.retriesPerRequest.max}, mean ${r.retriesPerRequest.mean}; ${n(r.upstreamCalls)} upstream calls`,
    ...clientLines(r),
    "",
    "Routes (served by priority group = how far traffic spilled):",
  );
  const routeRows = [["route", "offered", "served", "share", "429", "5xx", "served TPM", "usable TPM", "by priority"]];
  for (const route of r.routes) {
    routeRows.push([
      route.deployment,
      n(route.offeredRequests),
      n(route.servedRequests),
      pct(route.offeredRequests > 0 ? route.servedRequests / route.offeredRequests : 1),
      n(route.client429Requests),
      n(route.client5xxRequests),
      n(route.servedTpm),
      n(route.usableTpm),
      sharesAddingUp(route.priorities.map((p) => p.share))
        .map((v, k) => `p${route.priorities[k].priority} ${v.toFixed(1)}%`)
        .join(", "),
    ]);
  }
  out.push(
    ...table(routeRows),
    "",
    "Members (load = served TPM / the member's TPM; + = its native spillover deployment, serving the traffic above the PTUs):",
  );
  const memberRows = [["backend", "priority", "calls", "served", "429s", "served TPM", "quota TPM", "load"]];
  for (const m of r.members) {
    memberRows.push([
      m.backend,
      String(m.priority),
      n(m.requests),
      n(m.servedRequests - m.spilloverRequests),
      n(m.throttledResponses),
      n(m.servedTpm),
      m.quotaTpm === null ? "?" : n(m.quotaTpm),
      m.load === null ? "-" : pct(m.load),
    ]);
    if (m.spillover) {
      memberRows.push([
        `  + ${m.spillover.backend}`,
        "",
        "",
        n(m.spilloverRequests),
        "",
        n(m.spillover.servedTpm),
        m.spillover.quotaTpm === null ? "?" : n(m.spillover.quotaTpm),
        m.spillover.load === null ? "-" : pct(m.spillover.load),
      ]);
    }
  }
  out.push(...table(memberRows));
  if (r.teams.length > 0) {
    out.push("", "Teams (--team-share; limits from the stack's consumers, checked before routing):");
    const teamRows = [["team", "share", "offered", "served", "served share", "429 (TPM)", "403 (quota)", "limits"]];
    for (const t of r.teams) {
      const limits = [
        ...(t.tokensPerMinute === null ? [] : [`${n(t.tokensPerMinute)} TPM`]),
        ...(t.tokenQuota === null ? [] : [`${n(t.tokenQuota)} ${perPeriod(t.tokenQuotaPeriod)}`]),
      ];
      teamRows.push([
        t.name,
        pct(t.share),
        n(t.offeredRequests),
        n(t.servedRequests),
        pct(t.servedShare),
        n(t.limitedRequests),
        n(t.overQuotaRequests),
        limits.length === 0 ? "none" : limits.join(", "),
      ]);
    }
    out.push(...table(teamRows));
  }
  out.push(...formatRegions(r));
  if (r.warnings.length > 0) out.push("", `Warnings (${r.warnings.length}):`, ...r.warnings.map((w) => `  - ${w}`));
  return out.join("\n") + "\n";
}

export interface ComparedRun {
  readonly setting: string;
  readonly value: string;
  readonly result: SimulationResult;
}

export function formatComparison(runs: readonly ComparedRun[]): string {
  const first = runs[0].result;
  const rows = [
    [runs[0].setting, ...runs.map((c) => c.value)],
    ["offered requests", ...runs.map((c) => n(c.result.offeredRequests))],
    ["served requests", ...runs.map((c) => n(c.result.servedRequests))],
    ["served share", ...runs.map((c) => pct(c.result.servedShare))],
    ["client 429s", ...runs.map((c) => n(c.result.client429Requests))],
    ["client 5xx", ...runs.map((c) => n(c.result.client5xxRequests))],
    ["served TPM", ...runs.map((c) => n(c.result.servedTpm))],
    ["usable TPM (plan)", ...runs.map((c) => n(c.result.totalTpm))],
    ["retries p50 / p99", ...runs.map((c) => `${c.result.retriesPerRequest.p50} / ${c.result.retriesPerRequest.p99}`)],
    ["upstream calls", ...runs.map((c) => n(c.result.upstreamCalls))],
    ["upstream 429s", ...runs.map((c) => n(c.result.members.reduce((s, m) => s + m.throttledResponses, 0)))],
    ["held by the gateway", ...runs.map((c) => pct(c.result.clients.heldShare))],
    ["served eventually", ...runs.map((c) => pct(c.result.clients.servedEventuallyShare))],
    [
      "added latency p50/p99 s",
      ...runs.map((c) => `${c.result.clients.addedLatencySeconds.p50} / ${c.result.clients.addedLatencySeconds.p99}`),
    ],
  ];
  for (let i = 0; i < first.routes.length; i++) {
    rows.push([
      `${first.routes[i].deployment} served`,
      ...runs.map((c) => {
        const route = c.result.routes.find((x) => x.deployment === first.routes[i].deployment);
        return route ? pct(route.offeredRequests > 0 ? route.servedRequests / route.offeredRequests : 1) : "-";
      }),
    ]);
  }
  return (
    [
      `Comparison: the same ${first.profile} load (${n(first.offeredTpm)} TPM offered, ${first.durationSeconds} s, seed ${first.seed}) per setting`,
      ...table(rows),
    ].join("\n") + "\n"
  );
}

/** Gateway regions and the outage (issue #22): empty for a one-region gateway. */
export function formatRegions(r: SimulationResult): string[] {
  if (!r.regions) return [];
  const out = ["", "Gateway regions (each with its own breakers, cache and units; accounts shared):"];
  const rows = [["region", "arrived", "served", "failed over in", "share of served"]];
  for (const g of r.regions) {
    rows.push([g.location, n(g.offeredRequests), n(g.servedRequests), n(g.failedOverIn), pct(g.servedShare)]);
  }
  out.push(...table(rows));
  const o = r.outage;
  if (o) {
    out.push(
      `Outage of ${o.region} from ${o.from} s to ${o.until} s: ${n(o.servedRequests)} of ${n(o.offeredRequests)} requests served (${pct(o.servedShare)}); ${n(o.lostBeforeFailover)} arrived there in the first ${o.failoverSeconds} s and failed, ${n(o.failedOver)} were served by another region`,
    );
  }
  return out;
}
