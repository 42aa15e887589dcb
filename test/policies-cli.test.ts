import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cli } from "./helpers/cli";
import { type ExampleName, exampleFile } from "./helpers/stacks";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { buildTopology } from "../infra/model/topology";
import { renderPolicies } from "../infra/policies/render";
import { validRawConfig } from "./helpers/config-fixtures";

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the Pulumi program attaches for a stack: renderPolicies over its topology, routing.mode optionally set. */
function programXml(stack: ExampleName, mode?: "pool" | "policy"): string {
  const raw = structuredClone(namespaceConfig(readStackConfig(exampleFile(stack))));
  if (mode) raw.routing = { mode };
  return renderPolicies(buildTopology(validateConfig(raw)))[0].xml;
}

describe("aoai-gateway render", () => {
  it("writes one file per scope and exits 0", async () => {
    const out = join(dir, "prod");
    const r = await cli("render", "--config", exampleFile("prod"), "--out", out);
    expect([r.code, r.err, readdirSync(out)]).toEqual([0, "", ["api-azure-openai.xml"]]);
  });

  it("writes exactly the text the program attaches", async () => {
    const out = join(dir, "prod-same");
    await cli("render", "--config", exampleFile("prod"), "--out", out);
    expect(readFileSync(join(out, "api-azure-openai.xml"), "utf8")).toBe(programXml("prod"));
  });

  it("prints the scope, the entity and the file it wrote", async () => {
    const out = join(dir, "prod-print");
    expect((await cli("render", "-c", exampleFile("prod"), "-o", out)).out).toBe(
      `api azure-openai: ${join(out, "api-azure-openai.xml")}\n`,
    );
  });

  it("renders the other routing mode with --routing-mode", async () => {
    const out = join(dir, "prod-policy");
    await cli("render", "--config", exampleFile("prod"), "--routing-mode", "policy", "--out", out);
    expect(readFileSync(join(out, "api-azure-openai.xml"), "utf8")).toBe(programXml("prod", "policy"));
  });

  it("reports the routing mode and files as JSON with --json", async () => {
    const out = join(dir, "dev-json");
    const r = await cli("render", "--config", exampleFile("dev"), "--routing-mode", "policy", "--out", out, "--json");
    expect(JSON.parse(r.out)).toEqual({
      routingMode: "policy",
      policies: [{ scope: "api", id: "azure-openai", file: join(out, "api-azure-openai.xml") }],
    });
  });

  it("reads any stack-format file with --config", async () => {
    const file = join(dir, "single.yaml");
    const raw = validRawConfig();
    writeFileSync(
      file,
      stringify({ config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`aoai-gateway:${k}`, v])) }),
    );
    const out = join(dir, "single");
    const r = await cli("render", "--config", file, "--out", out);
    expect([r.code, readFileSync(join(out, "api-azure-openai.xml"), "utf8")]).toEqual([
      0,
      renderPolicies(buildTopology(validateConfig(raw)))[0].xml,
    ]);
  });

  it("refuses pool mode for a tier without circuit breakers, naming the key", async () => {
    const file = join(dir, "consumption.yaml");
    const raw = validRawConfig();
    raw.gateway.sku = "Consumption";
    delete raw.gateway.capacity;
    writeFileSync(
      file,
      stringify({ config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`aoai-gateway:${k}`, v])) }),
    );
    const r = await cli("render", "--config", file, "--routing-mode", "pool", "--out", join(dir, "never"));
    expect([r.code, r.err]).toEqual([
      1,
      'invalid stack config (2 problems):\n  - aoai-gateway:routing.mode: got "pool"; allowed: policy for sku Consumption (it has no backend circuit breakers, so pool members would not be taken out on 429)\n' +
        '  - aoai-gateway:gateway.sku: got "Consumption"; allowed: a tier whose policy documents may hold the routing policy (at least 24,000 bytes for one route; Consumption accepts 16,384): Developer, Basic, Standard, Premium, BasicV2, StandardV2, PremiumV2\n',
    ]);
  });

  it("exits 2 without --out", async () => {
    const r = await cli("render", "--config", exampleFile("prod"));
    expect([r.code, r.err]).toEqual([2, "error: required option '-o, --out <dir>' not specified\n"]);
  });

  it("exits 2 for an unknown routing mode", async () => {
    const r = await cli(
      "render",
      "--config",
      exampleFile("prod"),
      "--routing-mode",
      "random",
      "--out",
      join(dir, "never"),
    );
    expect([r.code, r.err]).toEqual([
      2,
      "error: option '--routing-mode <mode>' argument 'random' is invalid. Allowed choices are pool, policy.\n",
    ]);
  });
});
