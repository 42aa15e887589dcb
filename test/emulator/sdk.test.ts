/**
 * SDK conformance (issue #10): the official `openai` npm package against
 * `apim-emulate --serve` with each stack's rendered policy, in both routing
 * modes. The code that runs is docs/clients.md's own JavaScript snippets:
 * every ```js block is written to a .mjs file and run with node, the gateway
 * URL, key and deployment names given in the environment variables the
 * snippets read, so the documentation cannot drift from what works.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EMULATOR_TEST_TIMEOUT_MS,
  type EmulatedRequest,
  REPO_ROOT,
  ROUTING_MODES,
  type Served,
  consumerKey,
  emulatorSkipReason,
  gatewayFor,
  renderFor,
  scratch,
  serve,
  stacks,
  upstreamsFor,
} from "./harness";
import { bind } from "./scenario";

interface Snippet {
  readonly heading: string;
  readonly code: string;
}

/** Every ```js block of a Markdown file, with the heading above it. */
export function jsSnippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  let heading = "";
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const h = /^#+\s+(.*)$/.exec(lines[i]);
    if (h) heading = h[1].trim();
    if (/^```(js|javascript|mjs)\s*$/.test(lines[i])) {
      const end = lines.indexOf("```", i + 1);
      if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
      out.push({ heading, code: lines.slice(i + 1, end).join("\n") + "\n" });
      i = end;
    }
  }
  return out;
}

const CLIENTS_DOC = join(REPO_ROOT, "docs", "clients.md");
const snippets = jsSnippets(readFileSync(CLIENTS_DOC, "utf8"));

/** Run one snippet with node from a folder that resolves `openai` to this checkout's node_modules. */
function runSnippet(code: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const dir = scratch("snippets");
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  const file = join(dir, `snippet-${Date.now()}-${Math.random().toString(16).slice(2)}.mjs`);
  writeFileSync(file, code);
  return new Promise((done) => {
    const child = spawn(process.execPath, [file], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (c) => {
      clearTimeout(timer);
      done({ code: c, out });
    });
  });
}

function traceRecords(file: string): EmulatedRequest[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as EmulatedRequest);
}

const skip = emulatorSkipReason() !== null;

describe("docs/clients.md", () => {
  it("has the five JavaScript snippets the SDK test runs (AzureOpenAI and OpenAI v1, each chat+embeddings and Responses; v1 streamed Responses, #18)", () => {
    expect(snippets.map((s) => s.heading)).toEqual([
      "AzureOpenAI: chat completions and embeddings",
      "AzureOpenAI: Responses, retrieve and follow-up",
      "OpenAI (v1 API): chat completions and embeddings",
      "OpenAI (v1 API): Responses, retrieve and follow-up",
      "OpenAI (v1 API): streamed Responses and follow-up",
    ]);
  });
});

describe.skipIf(skip)("OpenAI SDK against the served gateway", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const stack of stacks()) {
    for (const mode of ROUTING_MODES) {
      describe(`${stack}, ${mode} mode`, () => {
        let server: Served | undefined;
        let env: Record<string, string> = {};
        const trace = join(scratch("traces"), `${stack}-${mode}.jsonl`);

        beforeAll(async () => {
          const { topology, apiPolicy } = renderFor(stack, mode);
          const gateway = await gatewayFor(stack, mode);
          const binding = bind(topology, { minMembers: 2 });
          const route = typeof binding === "string" ? topology.routes[0] : binding.route;
          server = await serve({
            policy: apiPolicy,
            gateway: gateway.file,
            scenario: {
              start: "2026-01-05T12:00:00Z",
              accountHeader: "x-emulator-account",
              upstreams: upstreamsFor(topology),
              requests: [],
            },
            maxSeconds: 120,
            trace,
          });
          env = {
            AOAI_GATEWAY_URL: server.url,
            AOAI_GATEWAY_KEY: consumerKey(gateway.gateway),
            AOAI_DEPLOYMENT: route.name,
            // The simulated accounts answer embeddings on any deployment they have.
            AOAI_EMBEDDINGS_DEPLOYMENT: route.name,
          };
        }, EMULATOR_TEST_TIMEOUT_MS);

        afterAll(async () => {
          await server?.stop();
        });

        for (const snippet of snippets) {
          it(`${snippet.heading}: the snippet runs and every call succeeds`, async () => {
            const before = traceRecords(trace).length;
            const result = await runSnippet(snippet.code, env);
            const calls = traceRecords(trace).slice(before);
            const evidence = calls.map((r) => `${r.method} ${r.path} -> ${r.status}`).join("\n");
            expect(`exit ${result.code}\n${result.out}`).toBe(`exit 0\n${result.out}`);
            expect(calls.length, evidence).toBeGreaterThan(0);
            expect(calls.filter((r) => r.status !== 200).map((r) => `${r.method} ${r.path} -> ${r.status}`)).toEqual(
              [],
            );
            if (/chat:/.test(result.out)) {
              expect(result.out).toContain("chat: emulated answer\n");
              expect(result.out).toContain("embedding length: 8\n");
            }
            if (/created:/.test(result.out)) {
              const created = /created: (\S+)/.exec(result.out)?.[1];
              expect(result.out).toContain(`previous: ${created}\n`);
              // The retrieve and the follow-up reached the account that stored the response.
              const accounts = calls
                .filter((r) => r.path.includes("/responses"))
                .map(
                  (r) => `${r.method} ${r.path.split("?")[0]} @${r.attempts[r.attempts.length - 1]?.account ?? "-"}`,
                );
              expect(accounts.length).toBe(3);
              const first = accounts[0].split("@")[1];
              expect(accounts).toEqual(accounts.map((a) => `${a.split(" @")[0]} @${first}`));
            }
          });
        }
      });
    }
  }
});
