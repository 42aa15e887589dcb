/**
 * `smoke` and `load` (issue #21) without a gateway: the call list, the advice per failure, the bounded retries
 * and timeouts (injected fetch), and the load's arrival plan. Executed against apim-emulate --serve in
 * test/emulator/ops.test.ts. Pinned values come from the test-owned fixture test/fixtures/smoke/Pulumi.smoke.yaml.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { loadBody, loadRates, planArrivals } from "../infra/cli/load-run";
import { run } from "../infra/cli/main";
import { type SmokeCall, adviceFor, operationFor, runSmokeCall, smokeCalls } from "../infra/cli/smoke-run";

const FIXTURE = join(__dirname, "fixtures", "smoke", "Pulumi.smoke.yaml");
const topology = loadTopology(FIXTURE);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("smoke calls", () => {
  it("calls each route three times (classic, v1, Responses) and each member once, pinned by its backend id", () => {
    const calls = smokeCalls(topology);
    expect(
      calls.map((c) => `${c.kind} ${c.route} ${c.path} ${c.operation} ${c.headers["x-aoai-gateway-member"] ?? ""}`),
    ).toEqual([
      "route gpt-4o classic chat ",
      "route gpt-4o v1 chat ",
      "route gpt-4o v1 responses ",
      "route gpt-4o-mini classic chat ",
      "route gpt-4o-mini v1 chat ",
      "route gpt-4o-mini v1 responses ",
      "member gpt-4o classic chat aoai-dev-hub-swedencentral-gpt-4o",
      "member gpt-4o classic chat aoai-dev-spoke-eastus2-gpt-4o",
      "member gpt-4o-mini classic chat aoai-dev-hub-swedencentral-gpt-4o-mini",
      "member gpt-4o-mini classic chat aoai-dev-spoke-eastus2-gpt-4o-mini",
    ]);
  });

  it("sends classic calls to the deployment path with api-version and v1 calls with the model in the body", () => {
    const [classic, v1, responses] = smokeCalls(topology);
    expect([classic.url, v1.url, responses.url, "json" in v1.body ? v1.body.json.model : null]).toEqual([
      "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
      "/openai/v1/chat/completions",
      "/openai/v1/responses",
      "gpt-4o",
    ]);
  });

  it("fits the operation to the model: embeddings, transcription, speech, images, else chat", () => {
    expect(
      [
        "text-embedding-3-large",
        "whisper",
        "gpt-4o-mini-transcribe",
        "tts-1",
        "gpt-image-1",
        "dall-e-3",
        "o4-mini",
      ].map(operationFor),
    ).toEqual(["embeddings", "transcription", "transcription", "speech", "images", "images", "chat"]);
  });
});

const member: SmokeCall = smokeCalls(topology).find((c) => c.kind === "member") as SmokeCall;

describe("smoke advice", () => {
  it("names the member, role assignment and propagation for 401 and 403", () => {
    for (const status of [401, 403]) {
      const advice = adviceFor(member, status, "PermissionDenied: lacks data action");
      expect(advice).toContain("member aoai-dev-hub-swedencentral-gpt-4o (dev-hub/swedencentral)");
      expect(advice).toContain('"Cognitive Services OpenAI User" on account dev-hub-swedencentral');
      expect(advice).toContain("propagate");
    }
  });

  it("says deployment missing or provisioning for 404, quota for 429, network or DNS for the gateway's 503", () => {
    expect(adviceFor(member, 404, "DeploymentNotFound")).toContain("missing or still provisioning");
    expect(adviceFor(member, 429, "")).toContain("rate limited");
    expect(
      adviceFor(member, 503, "ServiceUnavailable: No backend of deployment gpt-4o is available right now."),
    ).toContain("network rules, private endpoints and DNS");
    expect(adviceFor(member, null, "ECONNREFUSED")).toContain("no answer from the gateway (ECONNREFUSED)");
  });
});

function answering(...statuses: (number | Error)[]): { fetch: typeof fetch; calls: number } {
  const state = {
    calls: 0,
    fetch: (() => {
      const s = statuses[Math.min(state.calls, statuses.length - 1)];
      state.calls++;
      if (s instanceof Error) return Promise.reject(s);
      return Promise.resolve(
        new Response(JSON.stringify({ error: { code: String(s), message: "m" } }), {
          status: s,
          headers: { "retry-after": "2" },
        }),
      );
    }) as typeof fetch,
  };
  return state;
}

describe("smoke retries and timeouts", () => {
  it("tries a 429 twice, pausing the Retry-After (2 s), and no more", async () => {
    const f = answering(429);
    const pauses: number[] = [];
    const r = await runSmokeCall(member, {
      url: "http://gw",
      key: "k",
      fetch: f.fetch,
      sleep: (ms) => Promise.resolve(void pauses.push(ms)),
    });
    expect([r.ok, r.status, r.attempts, f.calls, pauses]).toEqual([false, 429, 2, 2, [2000]]);
  });

  it("does not retry a 401", async () => {
    const f = answering(401);
    const r = await runSmokeCall(member, {
      url: "http://gw",
      key: "k",
      fetch: f.fetch,
      sleep: () => Promise.resolve(),
    });
    expect([r.ok, r.status, r.attempts]).toEqual([false, 401, 1]);
  });

  it("reports a timeout as no answer, with the timeout in seconds", async () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    const f = answering(timeout);
    const r = await runSmokeCall(member, {
      url: "http://gw",
      key: "k",
      timeoutSeconds: 7,
      fetch: f.fetch,
      sleep: () => Promise.resolve(),
    });
    expect([r.status, r.detail, r.attempts]).toEqual([null, "timed out after 7 s", 2]);
  });
});

describe("smoke and load command lines", () => {
  it("smoke refuses to run without a key (exit 2)", async () => {
    const saved = process.env.AOAI_GATEWAY_KEY;
    delete process.env.AOAI_GATEWAY_KEY;
    const r = await cli("smoke", "--config", FIXTURE, "--url", "https://gw.example");
    if (saved !== undefined) process.env.AOAI_GATEWAY_KEY = saved;
    expect([r.code, r.err]).toEqual([
      2,
      "error: give --key KEY or set AOAI_GATEWAY_KEY (smoke: the stack output operatorKey)\n",
    ]);
  });

  it("load refuses a URL that is not http(s) (exit 2)", async () => {
    const r = await cli("load", "--config", FIXTURE, "--url", "ftp://gw", "--key", "k", "--rpm", "10");
    expect(r.code).toBe(2);
    expect(r.err).toContain('--url "ftp://gw": allowed is an http(s) URL');
  });
});

describe("load plan", () => {
  it("splits --load over the routes by usable TPM: 90% of 200,000 and 400,000 TPM at 1,000 tokens", () => {
    expect(loadRates(topology, { load: 0.9 }, 1000)).toEqual({ "gpt-4o": 180, "gpt-4o-mini": 360 });
  });

  it("spaces even arrivals exactly: 60 RPM for 10 s is 10 requests a second apart per route", () => {
    const plan = planArrivals(topology, { "gpt-4o": 60, "gpt-4o-mini": 60 }, 10, "even", 1);
    expect(plan.filter((p) => p.route === "gpt-4o").map((p) => p.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("draws the same Poisson arrivals as simulate for the same seed", () => {
    const a = planArrivals(topology, { "gpt-4o": 600 }, 30, "poisson", 5);
    const b = planArrivals(topology, { "gpt-4o": 600 }, 30, "poisson", 5);
    expect([
      a.length > 200,
      JSON.stringify(a) === JSON.stringify(b),
      a.every((p, i) => i === 0 || p.at >= a[i - 1].at),
    ]).toEqual([true, true, true]);
  });

  it("asks for the estimated tokens: a short prompt plus max_tokens", () => {
    expect(loadBody(1000)).toEqual({ messages: [{ role: "user", content: "Reply with OK." }], max_tokens: 996 });
  });
});
