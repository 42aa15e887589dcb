/**
 * Issue #14: every recipe in docs/common-tasks.md is run. Each snippet marked
 * `<!-- recipe NAME: STACK -->` is applied to a copy of that example stack (its test-owned copy in
 * test/fixtures/examples) in
 * a temp folder, the way the doc says to read it, and the result goes
 * through `aoai-gateway plan` (and `diagram`); the tests check what the doc
 * says the plan shows.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Plan } from "../infra/model/plan";
import { cli } from "./helpers/cli";
import { EXAMPLE_NAMES, exampleFile } from "./helpers/stacks";

const DOC = readFileSync(join(__dirname, "..", "docs", "common-tasks.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-recipes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Recipe {
  readonly name: string;
  readonly stack: string;
  /** The file name the recipe's stack is copied to (`dev as staging` -> Pulumi.staging.yaml). */
  readonly as: string;
  readonly snippet: Record<string, unknown>;
}

/** Every marked snippet in the doc (indented ones in lists too). */
function recipes(doc: string): Recipe[] {
  const re = /^( *)<!-- recipe ([a-z-]+): ([a-z0-9-]+)(?: as ([a-z0-9-]+))? -->\n\n\1```yaml\n([\s\S]*?)\n\1```/gm;
  return [...doc.matchAll(re)].map((m) => ({
    name: m[2],
    stack: m[3],
    as: m[4] ?? m[3],
    snippet: parse(
      m[5]
        .split("\n")
        .map((l) => l.slice(m[1].length))
        .join("\n"),
    ) as Record<string, unknown>,
  }));
}

type Entry = Record<string, unknown>;
const IDENTITY: Record<string, (e: Entry) => string> = {
  "aoai-gateway:backends": (e) => `${String(e.subscription)}/${String(e.location)}`,
  "aoai-gateway:subscriptions": (e) => String(e.alias),
  "aoai-gateway:consumers": (e) => String(e.name),
};

/** Apply a snippet as the doc says: list entries replace the one with the same identity or are added; map keys merge. */
function apply(config: Record<string, unknown>, snippet: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(snippet)) {
    const current = config[key];
    const identity = IDENTITY[key];
    if (Array.isArray(value) && Array.isArray(current) && identity) {
      const list = [...(current as Entry[])];
      for (const entry of value as Entry[]) {
        const at = list.findIndex((e) => identity(e) === identity(entry));
        if (at >= 0) list[at] = entry;
        else list.push(entry);
      }
      config[key] = list;
    } else if (key === "aoai-gateway:gateway") {
      config[key] = { ...(current as Entry), ...(value as Entry) };
    } else {
      config[key] = value;
    }
  }
}

/** Copy the recipe's stack into the temp folder, apply the snippet, return the file. */
function stackAfter(recipe: Recipe): string {
  const file = join(dir, `${recipe.name}`, `Pulumi.${recipe.as}.yaml`);
  rmSync(join(dir, recipe.name), { recursive: true, force: true });
  mkdirSync(join(dir, recipe.name));
  // The shipped example the recipe names, as the tests own it (#17: never stacks/, which adopters edit).
  const example = EXAMPLE_NAMES.find((e) => e === recipe.stack);
  if (!example) throw new Error(`recipe ${recipe.name} names ${recipe.stack}, not a shipped example`);
  copyFileSync(exampleFile(example), file);
  const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  apply(doc.config, recipe.snippet);
  writeFileSync(file, stringify(doc));
  return file;
}

const all = recipes(DOC);
const recipe = (name: string): Recipe => {
  const r = all.find((x) => x.name === name);
  if (!r) throw new Error(`no recipe ${name} in docs/common-tasks.md`);
  return r;
};

async function planOf(name: string): Promise<Plan> {
  const r = await cli("plan", "--config", stackAfter(recipe(name)), "--json");
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out) as Plan;
}

async function textPlanOf(name: string): Promise<string[]> {
  const r = await cli("plan", "--config", stackAfter(recipe(name)));
  return r.out.split("\n");
}

const route = (plan: Plan, name: string) => plan.routes.find((r) => r.deployment === name);

describe("docs/common-tasks.md", () => {
  it("has a snippet for every task it lists", () => {
    expect(all.map((r) => r.name)).toEqual([
      "add-region",
      "add-subscription",
      "add-team",
      "ptu-spillover",
      "add-environment",
      "change-tier",
      "remove-member-drain",
      "remove-member",
    ]);
  });

  it("every recipe's stack plans and draws without an error", async () => {
    const failed: string[] = [];
    for (const r of all) {
      const file = stackAfter(r);
      const plan = await cli("plan", "--config", file);
      const diagram = await cli("diagram", "--config", file);
      if (plan.code !== 0 || diagram.code !== 0) failed.push(`${r.name}: ${plan.err}${diagram.err}`);
    }
    expect(failed).toEqual([]);
  });
});

describe("recipe: add a region", () => {
  it("adds a third gpt-4o member in the new region, weights 33 each, with its own quota pool", async () => {
    const plan = await planOf("add-region");
    expect([
      route(plan, "gpt-4o")?.members.map((m) => [m.location, m.weight]),
      route(plan, "gpt-4o")?.usableTpm,
      plan.quotaPools.some((p) => p.subscription === "dev-spoke" && p.location === "westus3"),
    ]).toEqual([
      [
        ["swedencentral", 33],
        ["eastus2", 33],
        ["westus3", 33],
      ],
      300000,
      true,
    ]);
  });

  it("prints the route heading the recipe quotes", async () => {
    expect(await textPlanOf("add-region")).toContain("Route gpt-4o (model gpt-4o): 300,000 TPM usable over 3 members");
  });
});

describe("recipe: add a subscription", () => {
  it("adds a gpt-4o-mini member in the new subscription", async () => {
    expect(await textPlanOf("add-subscription")).toContain(
      "Route gpt-4o-mini (model gpt-4o-mini): 600,000 TPM usable over 3 members",
    );
  });
});

describe("recipe: add a team", () => {
  it("adds the consumer to the plan and its client snippet", async () => {
    const plan = await planOf("add-team");
    const text = await textPlanOf("add-team");
    expect([plan.consumers, text.some((l) => l.includes("(app-team, data-science)"))]).toEqual([
      ["app-team", "data-science"],
      true,
    ]);
  });
});

describe("recipe: move a deployment to PTU with spillover", () => {
  it("puts the PTU first with all traffic and the Standard member behind it with all of the spill", async () => {
    const plan = await planOf("ptu-spillover");
    expect(
      route(plan, "gpt-4o")?.members.map((m) => [m.sku, m.priority, m.share, m.groupShare, m.capacityTpm]),
    ).toEqual([
      ["GlobalProvisionedManaged", 1, 1, 1, 37500],
      ["GlobalStandard", 2, 0, 1, 100000],
    ]);
  });

  it("checks the PTU against the stated quota, with no warning", async () => {
    const plan = await planOf("ptu-spillover");
    const ptu = plan.quotaPools.find((p) => p.sku === "GlobalProvisionedManaged");
    expect([ptu?.quotaPtu, ptu?.allocatedPtu, ptu?.quotaSource, plan.warnings]).toEqual([15, 15, "override", []]);
  });
});

describe("recipe: add an environment", () => {
  it("gives the new stack its own gateway and account names", async () => {
    const dev = JSON.parse((await cli("plan", "--config", exampleFile("dev"), "--json")).out) as Plan;
    const staging = await planOf("add-environment");
    expect([
      staging.gateway.name,
      staging.gateway.serviceName === dev.gateway.serviceName,
      staging.gateway.url.startsWith("https://contoso-ai-stg-"),
    ]).toEqual(["contoso-ai-stg", false, true]);
  });
});

describe("recipe: change the APIM tier", () => {
  it("prints the new tier and units", async () => {
    const text = await textPlanOf("change-tier");
    expect(text[0]).toBe(
      "Gateway contoso-ai-dev: API Management StandardV2, 2 units, in swedencentral (subscription dev-hub), routing mode pool",
    );
  });
});

/** Warnings about the stack's routes; the tenant-wide usage-tier warnings (issue #19) are tested in cost.test.ts. */
const routeWarnings = (plan: { warnings: readonly string[] }) => plan.warnings.filter((w) => !w.includes("usage tier"));

describe("recipe: remove a member safely", () => {
  it("drain: the member is alone in a last spillover group and gets no traffic while others serve", async () => {
    const plan = await planOf("remove-member-drain");
    const west = route(plan, "gpt-4o")?.members.find((m) => m.location === "westus3");
    const east = route(plan, "gpt-4o")?.members.find((m) => m.location === "eastus2");
    expect([west?.priority, west?.share, east?.groupShare, routeWarnings(plan)]).toEqual([9, 0, 1, []]);
  });

  it("remove: the route keeps its other members and no route is left with one", async () => {
    const plan = await planOf("remove-member");
    expect([route(plan, "gpt-4o")?.members.map((m) => m.location), routeWarnings(plan)]).toEqual([
      ["swedencentral", "eastus2", "francecentral"],
      [],
    ]);
  });
});
