/**
 * Issue #14: `aoai-gateway diagram` draws each stack's own topology. Runs on
 * every stack file in stacks/ (discovered, not pinned): every member appears
 * with its subscription, region, type, capacity, priority and weight.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { capacityLabel, mermaidDiagram, pickLabel, svgDiagram } from "../infra/model/diagram";
import { xmlEscape } from "../infra/model/xml";
import { type Plan, createPlan } from "../infra/model/plan";
import { cli } from "./helpers/cli";
import { type ExampleName, exampleFile, stackFiles } from "./helpers/stacks";

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-diagram-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every stack file in stacks/ (an adopter's too, #17): only invariants are asserted on these. */
const stacks = stackFiles();
const planOfFile = (file: string): Plan => createPlan(loadTopology(file));
/** A shipped example's plan (test/fixtures/examples), for pinned values. */
const planOf = (stack: ExampleName): Plan => planOfFile(exampleFile(stack));

/** Every text node of an SVG document, in order. */
function svgTexts(svg: string): string[] {
  const doc = new XMLParser({ ignoreAttributes: true, isArray: (name) => name === "text" || name === "g" }).parse(
    svg,
  ) as { svg: { text: unknown[]; g: { text: unknown[] }[] } };
  return [...doc.svg.text, ...doc.svg.g.flatMap((g) => g.text)].map(String);
}

describe.each(stacks)("aoai-gateway diagram --stack $name (mermaid)", ({ name: stack, file }) => {
  const plan = planOfFile(file);
  const members = plan.routes.flatMap((r) => r.members.map((m) => ({ r, m })));

  it("exits 0 and prints the flowchart the model draws", async () => {
    const r = await cli("diagram", "--stack", stack);
    expect([r.code, r.err, r.out]).toEqual([0, "", mermaidDiagram(plan)]);
  });

  it("draws every member once, with its subscription, region, type and capacity", () => {
    const text = mermaidDiagram(plan);
    // A PTU member with native spillover (#17) adds a `+ spillover` line to its box.
    const missing = members.filter(({ m }) => {
      const box = `["${m.backendId}<br/>${m.subscription} · ${m.location}<br/>${m.sku} · ${capacityLabel(m)}`;
      return !text.includes(m.spillover ? `${box}<br/>+ spillover ${m.spillover.deployment} · ` : `${box}"]`);
    });
    expect(missing.map(({ m }) => m.backendId)).toEqual([]);
  });

  it("labels the edge to every member with its priority and weight", () => {
    const lines = mermaidDiagram(plan).split("\n");
    const ids = new Map(
      lines.flatMap((l) => {
        const m = /^ {4}(m\d+_\d+)\["([^<]+)<br\/>/.exec(l);
        return m ? [[m[2], m[1]] as const] : [];
      }),
    );
    const unlabelled = members.filter(
      ({ m }) =>
        !lines.some((l) =>
          new RegExp(`-\\.?->\\|"priority ${m.priority} · weight ${m.weight}"\\| ${ids.get(m.backendId)}$`).test(l),
        ),
    );
    expect(unlabelled.map(({ m }) => m.backendId)).toEqual([]);
  });

  it("draws the gateway URL and one route node per route", () => {
    const text = mermaidDiagram(plan);
    expect([
      text.includes(`|"${plan.gateway.url}"| gateway`),
      plan.routes.filter((r, i) => text.includes(`  r${i}{{"route ${r.deployment} (${r.model})<br/>`)).length,
    ]).toEqual([true, plan.routes.length]);
  });
});

describe.each(stacks)("aoai-gateway diagram --stack $name --format svg", ({ name: stack, file: stackPath }) => {
  const plan = planOfFile(stackPath);
  const svg = svgDiagram(plan);

  it("is well-formed XML", () => {
    expect(XMLValidator.validate(svg)).toBe(true);
  });

  it("shows every member's backend id, where it runs, its type and capacity, and its priority and weight", () => {
    const texts = svgTexts(svg);
    const missing = plan.routes
      .flatMap((r) => r.members)
      .filter(
        (m) =>
          !texts.includes(m.backendId) ||
          !texts.includes(`${m.subscription} · ${m.location}`) ||
          !texts.includes(`${m.sku} · ${capacityLabel(m)}`) ||
          !texts.includes(pickLabel(m)),
      );
    expect(missing.map((m) => m.backendId)).toEqual([]);
  });

  it("lays boxes out without overlaps, inside the picture", () => {
    const size = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg);
    const boxes = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) =>
      m.slice(1, 5).map(Number),
    );
    const overlaps = boxes.flatMap(([x, y, w, h], i) =>
      boxes.slice(i + 1).filter(([x2, y2, w2, h2]) => x < x2 + w2 && x2 < x + w && y < y2 + h2 && y2 < y + h),
    );
    const outside = boxes.filter(([x, y, w, h]) => x + w > Number(size?.[1]) || y + h > Number(size?.[2]));
    expect([boxes.length, overlaps, outside]).toEqual([
      // clients, gateway, each route and member, and the network box when there is one (issue #20).
      plan.routes.reduce((s, r) => s + r.members.length + 1, 2) + (plan.network ? 1 : 0),
      [],
      [],
    ]);
  });

  it("writes the same SVG to the --out file", async () => {
    const file = join(dir, `${stack}.svg`);
    const r = await cli("diagram", "--stack", stack, "--format", "svg", "--out", file);
    expect([r.code, r.out, r.err, readFileSync(file, "utf8")]).toEqual([0, "", `wrote ${file}\n`, svg]);
  });
});

describe("spillover in the diagram (prod)", () => {
  const plan = planOf("prod");

  it("draws edges to spillover groups dashed and to the first group solid", () => {
    const lines = mermaidDiagram(plan)
      .split("\n")
      .filter((l) => l.includes('|"priority'));
    expect(lines.filter((l) => l.includes("-.->")).map((l) => /priority \d/.exec(l)?.[0])).toEqual([
      "priority 2",
      "priority 2",
      "priority 2",
      "priority 3",
    ]);
  });

  it("shows a provisioned member's capacity in PTU with its TPM estimate", () => {
    const ptu = plan.routes.flatMap((r) => r.members).find((m) => m.sku === "GlobalProvisionedManaged");
    expect(ptu && capacityLabel(ptu)).toBe("50 PTU (~125,000 TPM)");
  });
});

describe("diagram of a stack in policy routing mode", () => {
  it("says the policy picks the member instead of naming a pool", () => {
    const plan = planOf("dev");
    const policy: Plan = { ...plan, gateway: { ...plan.gateway, routingMode: "policy" } };
    expect(mermaidDiagram(policy).split("\n")[4]).toBe('  r0{{"route gpt-4o (gpt-4o)<br/>picked by the policy"}}');
  });
});

describe("diagram escaping", () => {
  const plan = planOf("dev");
  const odd: Plan = { ...plan, consumers: [`a<b&"c'`] };

  it("escapes XML's special characters in SVG text", () => {
    expect(xmlEscape(`a<b&"c'>`)).toBe("a&lt;b&amp;&quot;c&apos;&gt;");
  });

  it("keeps the SVG well-formed whatever the names hold", () => {
    expect(XMLValidator.validate(svgDiagram(odd))).toBe(true);
  });

  it("writes quotes and markup characters in Mermaid labels as entity codes", () => {
    expect(mermaidDiagram(odd).split("\n")[1]).toBe(
      // the team's limit is the default every caller gets (#18)
      '  clients(["clients<br/>keys: a#lt;b#amp;#quot;c\'<br/>app-team: 100,000 TPM"])',
    );
  });
});

describe("aoai-gateway diagram errors", () => {
  it("exits 1 with one line when --out is a folder", async () => {
    const r = await cli("diagram", "--config", exampleFile("dev"), "--out", dir);
    expect([r.code, r.err]).toEqual([1, `error: cannot write ${dir}: it is a folder, not a file\n`]);
  });

  it("exits 2 for a format it does not draw", async () => {
    const r = await cli("diagram", "--config", exampleFile("dev"), "--format", "png");
    expect([r.code, r.err]).toEqual([
      2,
      "error: option '-f, --format <format>' argument 'png' is invalid. Allowed choices are mermaid, svg.\n",
    ]);
  });
});
