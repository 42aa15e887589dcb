/**
 * Plausibility (issue #17): numbers far outside what Azure grants are unit mistakes more often than
 * intent (`capacity: 100000` meant as 100K TPM is 100,000,000 TPM, since capacity counts thousands).
 * Thresholds live in the dated data file infra/data/plausibility.json with their sources. Pure.
 *
 * Errors (validation): a Standard-family capacity above the largest quota Microsoft publishes for the
 * model, a PTU count above the largest plausible deployment, unless a quota override of the stack covers
 * it (quota beyond the tables is granted on request; stating it is the way to say "I mean it").
 * Warnings (plan): team token limits too small for one request, or larger than the whole stack serves.
 */
import data from "../data/plausibility.json";
import { DeploymentSchema, SubscriptionSchema, isProvisioned } from "./schema";
import { type ValidConfig, keyPath } from "./validate";
import { perPeriod } from "../model/wording";

type PathPart = string | number;

export const PLAUSIBILITY_READ_ON: string = data.readOn;
const BY_MODEL = Object.fromEntries(
  Object.entries(data.largestStandardQuotaTpmByModel).filter(([k]) => !k.startsWith("$")),
) as Record<string, number>;

const n = (v: number) => v.toLocaleString("en-US");

/** `100000` -> "100,000 (100M TPM)"-style short TPM: 100K, 1.5M. */
export function shortTpm(tpm: number): string {
  if (tpm >= 1_000_000) return `${Number((tpm / 1_000_000).toFixed(1))}M`;
  if (tpm >= 1000) return `${Number((tpm / 1000).toFixed(1))}K`;
  return String(tpm);
}

/** The largest Standard-family quota (TPM) Microsoft publishes for a model, and whether it is the model's own figure. */
export function largestQuotaTpm(model: string): { tpm: number; own: boolean } {
  const own = BY_MODEL[model];
  return own === undefined ? { tpm: data.largestStandardQuotaTpm, own: false } : { tpm: own, own: true };
}

/** Capacity and PTU counts beyond anything Azure grants, unless a quota override of the same pool covers them. */
export function capacityProblems(root: Record<string, unknown>): { path: PathPart[]; text: string }[] {
  const subscriptions = Array.isArray(root.subscriptions) ? (root.subscriptions as unknown[]) : [];
  const parsedSubs = subscriptions.map((s) => SubscriptionSchema.safeParse(s));
  const subIndex = (alias: unknown) => parsedSubs.findIndex((s) => s.success && s.data.alias === alias);
  const problems: { path: PathPart[]; text: string }[] = [];
  // A quota override counts tokens per minute, not thousands: `tpm: 450` meant 450K (0 is real: some
  // offers grant nothing).
  parsedSubs.forEach((sub, i) => {
    if (!sub.success) return;
    sub.data.quotas.forEach((q, j) => {
      if (q.tpm === undefined || q.tpm === 0 || q.tpm >= data.smallestTokensPerMinute) return;
      problems.push({
        path: ["subscriptions", i, "quotas", j, "tpm"],
        text: `got ${n(q.tpm)}; allowed: 0, or tokens per minute of ${n(data.smallestTokensPerMinute)} or more (no quota is smaller than one deployment of 1K TPM); did you mean tpm: ${q.tpm * 1000} (${shortTpm(q.tpm * 1000)} TPM)? tpm counts tokens, not thousands`,
      });
    });
  });
  const backends = Array.isArray(root.backends) ? (root.backends as unknown[]) : [];
  backends.forEach((rawBackend, i) => {
    const b = (rawBackend ?? {}) as Record<string, unknown>;
    const deployments = Array.isArray(b.deployments) ? (b.deployments as unknown[]) : [];
    const si = subIndex(b.subscription);
    const sub = si >= 0 ? parsedSubs[si] : undefined;
    const quotas = sub?.success ? sub.data.quotas : [];
    const quotasKey = keyPath(si >= 0 ? ["subscriptions", si, "quotas"] : ["subscriptions"]);
    deployments.forEach((rawDeployment, j) => {
      const parsed = DeploymentSchema.safeParse(rawDeployment);
      if (!parsed.success) return;
      const d = parsed.data;
      const path: PathPart[] = ["backends", i, "deployments", j, "capacity"];
      if (isProvisioned(d.sku)) {
        const max = data.largestPtuPerDeployment;
        const override = quotas.find((q) => q.sku === d.sku && q.location === b.location)?.ptu;
        if (d.capacity > max && !(override !== undefined && override >= d.capacity)) {
          problems.push({
            path,
            text: `got ${n(d.capacity)} PTU; allowed: at most ${n(max)} PTU for ${d.sku} (no published quota comes near it; ${n(max)} PTU cost about ${n(Math.round((max * 730) / 100_000) / 10)} M USD a month at list price; infra/data/plausibility.json, read ${PLAUSIBILITY_READ_ON}). Provisioned capacity counts PTUs, not TPM; if you were granted that many, state it: ${quotasKey} { sku: ${d.sku}, location: ${String(b.location)}, ptu: ${d.capacity} }`,
          });
        }
        return;
      }
      const tpm = d.capacity * 1000;
      const largest = largestQuotaTpm(d.model);
      const override = quotas.find((q) => q.sku === d.sku && q.location === b.location && q.model === d.model)?.tpm;
      if (tpm <= largest.tpm || (override !== undefined && override >= tpm)) return;
      const meant = Math.round(d.capacity / 1000);
      const reading =
        meant >= 1
          ? `; did you mean capacity: ${meant} (${shortTpm(meant * 1000)} TPM)? capacity counts thousands of TPM`
          : "";
      problems.push({
        path,
        text: `got ${n(d.capacity)} (${n(tpm)} TPM); allowed: at most ${n(largest.tpm / 1000)} (${shortTpm(largest.tpm)} TPM, the largest quota Microsoft publishes for ${largest.own ? d.model : "any model"}; infra/data/plausibility.json, read ${PLAUSIBILITY_READ_ON})${reading}. If you were granted more, state it: ${quotasKey} { model: ${d.model}, sku: ${d.sku}, location: ${String(b.location)}, tpm: ${tpm} }`,
      });
    });
  });
  return problems;
}

/** Team token limits that cannot be meant: below one request, or above what the whole stack serves. */
export function tokenLimitWarnings(config: ValidConfig, totalTpm: number): string[] {
  const warnings: string[] = [];
  const tpmWarning = (path: PathPart[], tpm: number) => {
    if (tpm < data.smallestTokensPerMinute) {
      warnings.push(
        `${keyPath(path)}: ${n(tpm)} tokens per minute is less than one ordinary request (prompt + max_tokens is counted, e.g. 1,000); did you mean ${n(tpm * 1000)} (${shortTpm(tpm * 1000)})? The limit counts tokens, not thousands`,
      );
    } else if (totalTpm > 0 && tpm > totalTpm) {
      warnings.push(
        `${keyPath(path)}: ${n(tpm)} tokens per minute is more than the stack's ${n(totalTpm)} usable TPM, so the limit never applies`,
      );
    }
  };
  if (config.policies.tokenLimit.enabled)
    tpmWarning(["policies", "tokenLimit", "tokensPerMinute"], config.policies.tokenLimit.tokensPerMinute);
  config.consumers.forEach((c, i) => {
    if (c.tokensPerMinute !== undefined) tpmWarning(["consumers", i, "tokensPerMinute"], c.tokensPerMinute);
    if (c.tokenQuota !== undefined && c.tokenQuota < data.smallestTokenQuota) {
      warnings.push(
        `${keyPath(["consumers", i, "tokenQuota"])}: ${n(c.tokenQuota)} tokens ${perPeriod(c.tokenQuotaPeriod)} is less than ten ordinary requests; did you mean ${n(c.tokenQuota * 1000)} (${shortTpm(c.tokenQuota * 1000)})? The quota counts tokens, not thousands`,
      );
    }
  });
  return warnings;
}

/** `simulate --load`: a fraction of usable TPM. 120 was meant as 1.2 (120%). */
export function loadProblem(load: number): string | undefined {
  if (load <= data.largestSimulateLoad) return undefined;
  return `--load takes a fraction: ${Number((load / 100).toFixed(4))} = ${n(load)}%; allowed: a number above 0 up to ${data.largestSimulateLoad} (${n(data.largestSimulateLoad * 100)}%)`;
}
