/**
 * Azure OpenAI as the simulator models it: one rate limiter per deployment
 * (route member), native spillover behind a small interface.
 *
 * Rate limits (shared/docs/domain-facts.md; Learn Q&A 1336515 "Azure OpenAI
 * evaluates the rate of incoming requests over a small period of time,
 * typically 1 or 10 seconds"; Learn quota how-to: "if Azure OpenAI is
 * monitoring request rate on 1-second intervals, rate limiting will occur for
 * a 600-RPM deployment if more than 10 requests are received during each
 * 1-second period"): TPM and RPM are enforced per fixed window of
 * `windowSeconds` at `limit x window / 60`, a request costs its estimated
 * tokens (prompt + max_tokens) when it arrives, and a refused request gets
 * 429 with Retry-After = whole seconds to the end of the window (at least 1).
 * This is exactly the limiter of shared/tools/apim-emulator (`rateLimit`,
 * windowSeconds 10 by default), so `simulate` and the executed policy can be
 * compared on the same load (issue #13, fidelity test).
 *
 * Provisioned deployments: Azure answers 429 when the deployment's
 * utilisation passes 100%; we model that as the same window limiter at the
 * deployment's TPM (capacity x tpmPerPtu) without an RPM limit. A provisioned
 * deployment without tpmPerPtu has no known TPM and is modelled unlimited
 * (the simulation warns).
 */
import type { DeploymentModel, RouteMember, Topology } from "../model/topology";

/** Azure's rate-limit window the simulator uses, in seconds (the emulator's default). */
export const DEFAULT_WINDOW_SECONDS = 10;

export type UpstreamAnswer =
  { readonly status: 200; readonly spillover: boolean } | { readonly status: 429; readonly retryAfter: number };

/** TPM/RPM over fixed windows: `limit x window / 60` per window, the count restarting each window. */
export class WindowLimiter {
  private window = Number.NEGATIVE_INFINITY;
  private tokens = 0;
  private requests = 0;
  private previousTokens = 0;
  private previousRequests = 0;
  private readonly tokenCap: number;
  private readonly requestCap: number;

  constructor(
    readonly tpm: number | null,
    readonly rpm: number | null,
    readonly windowSeconds: number = DEFAULT_WINDOW_SECONDS,
  ) {
    this.tokenCap = tpm === null ? Number.POSITIVE_INFINITY : (tpm * windowSeconds) / 60;
    this.requestCap = rpm === null ? Number.POSITIVE_INFINITY : (rpm * windowSeconds) / 60;
  }

  /**
   * Admit a request of `cost` tokens at time `t` (seconds): 0 when admitted, else the Retry-After in seconds.
   * Calls come in time order except after a bounded wait (issue #21): a held request's later pass runs before
   * the next arrival is handled, so a call may belong to the window before the latest one. That window's
   * counts are kept, so it is never counted afresh; a call two or more windows back is refused.
   */
  admit(t: number, cost: number): number {
    const w = Math.floor(t / this.windowSeconds);
    const retryAfter = Math.max(1, Math.ceil((w + 1) * this.windowSeconds - t));
    if (w > this.window) {
      const adjacent = w === this.window + 1;
      this.previousTokens = adjacent ? this.tokens : 0;
      this.previousRequests = adjacent ? this.requests : 0;
      this.window = w;
      this.tokens = 0;
      this.requests = 0;
    } else if (w < this.window) {
      if (w !== this.window - 1) return retryAfter;
      if (this.previousRequests + 1 > this.requestCap || this.previousTokens + cost > this.tokenCap) return retryAfter;
      this.previousRequests += 1;
      this.previousTokens += cost;
      return 0;
    }
    if (this.requests + 1 > this.requestCap || this.tokens + cost > this.tokenCap) return retryAfter;
    this.requests += 1;
    this.tokens += cost;
    return 0;
  }
}

/** One deployment as a gateway member calls it. */
export interface Upstream {
  call(t: number, tokens: number): UpstreamAnswer;
}

/** The deployment's own limit: TPM with its RPM ratio (Standard family), TPM only (provisioned). */
export function limiterFor(d: DeploymentModel, windowSeconds: number): WindowLimiter {
  return new WindowLimiter(d.capacityTpm, d.provisioned ? null : d.rpm, windowSeconds);
}

class LimitedUpstream implements Upstream {
  constructor(private readonly limiter: WindowLimiter) {}
  call(t: number, tokens: number): UpstreamAnswer {
    const retryAfter = this.limiter.admit(t, tokens);
    return retryAfter === 0 ? { status: 200, spillover: false } : { status: 429, retryAfter };
  }
}

/**
 * Native spillover (issue #9 part 3): a provisioned deployment names a
 * standard deployment in the same account; traffic over the PTU is served
 * there without a 429 round trip. When the target is over its own limit too,
 * the client of that call gets the target's 429.
 */
class SpilloverUpstream implements Upstream {
  constructor(
    private readonly own: WindowLimiter,
    private readonly target: WindowLimiter,
  ) {}
  call(t: number, tokens: number): UpstreamAnswer {
    if (this.own.admit(t, tokens) === 0) return { status: 200, spillover: false };
    const retryAfter = this.target.admit(t, tokens);
    return retryAfter === 0 ? { status: 200, spillover: true } : { status: 429, retryAfter };
  }
}

/**
 * Where a deployment spills over to, if anywhere. The config key is added by
 * issue #9 (`spilloverDeployment` on provisioned deployments); reading it here
 * keeps the simulator working before and after that lands.
 */
export type SpilloverResolver = (accountKey: string, deployment: DeploymentModel) => string | undefined;

export const spilloverFromTopology: SpilloverResolver = (_accountKey, deployment) => {
  const d: DeploymentModel & { readonly spilloverDeployment?: unknown } = deployment;
  return typeof d.spilloverDeployment === "string" && d.spilloverDeployment !== "" ? d.spilloverDeployment : undefined;
};

/** The upstreams of every route member, indexed like `members` (one limiter per (account, deployment)). */
export function buildUpstreams(
  topology: Topology,
  members: readonly RouteMember[],
  windowSeconds: number = DEFAULT_WINDOW_SECONDS,
  spillover: SpilloverResolver = spilloverFromTopology,
): { upstreams: Upstream[]; spillsTo: (string | undefined)[] } {
  const limiters = new Map<string, WindowLimiter>();
  const key = (account: string, deployment: string) => `${account}\u0000${deployment}`;
  for (const a of topology.accounts) {
    for (const d of a.deployments) limiters.set(key(a.key, d.name), limiterFor(d, windowSeconds));
  }
  const spillsTo = members.map((m) => spillover(m.accountKey, m.deployment));
  const upstreams = members.map((m, i): Upstream => {
    const own = limiters.get(key(m.accountKey, m.deployment.name));
    if (!own) throw new Error(`no deployment ${m.deployment.name} in account ${m.accountKey}`);
    const targetName = spillsTo[i];
    const target = targetName === undefined ? undefined : limiters.get(key(m.accountKey, targetName));
    return target ? new SpilloverUpstream(own, target) : new LimitedUpstream(own);
  });
  return { upstreams, spillsTo };
}
