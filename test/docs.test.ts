/**
 * Issue #14: the README and docs/ stay short, correct and connected. Every
 * relative link resolves to a file in the repository and every #anchor to a
 * heading of its target (GitHub's slug rules); the README's plan sample is
 * the real output; names the docs call exist in the example stacks.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { API_ID, API_PATH } from "../infra/model/names";
import { DEFAULT_COST_ASSUMPTIONS } from "../infra/model/cost";
import { createPlan, formatPlan } from "../infra/model/plan";
import { EXAMPLE_NAMES, exampleFile } from "./helpers/stacks";

const ROOT = resolve(__dirname, "..");
const DOCS = join(ROOT, "docs");
const files = [
  join(ROOT, "README.md"),
  join(ROOT, "CHANGELOG.md"),
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(DOCS, f)),
];
const read = (file: string) => readFileSync(file, "utf8");

/** The text outside fenced code blocks (a `#` line or a link there is code, not Markdown). */
function prose(text: string): string {
  return text.replace(/^( *)(```|~~~)[\s\S]*?^\1\2\s*$/gm, "").replace(/`[^`\n]*`/g, (m) => (m.includes("](") ? m : m));
}

/** GitHub's heading anchor: lowercase, punctuation dropped (but - and _), spaces to hyphens; repeats get -1, -2. */
export function slugs(text: string): string[] {
  const seen = new Map<string, number>();
  return [...prose(text).matchAll(/^#{1,6} +(.+?) *#*$/gm)].map((m) => {
    const plain = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/<[^>]+>/g, "");
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

interface Link {
  readonly from: string;
  readonly target: string;
}

function links(file: string): Link[] {
  const text = prose(read(file)).replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => ({ from: relative(ROOT, file), target: m[1] }));
}

/** The docs each issue of this round added, each linked from the README. */
const ISSUE_DOCS: Record<string, string> = {
  "docs/routing.md": "issue 9",
  "docs/clients.md": "issue 9",
  "docs/testing.md": "issue 10",
  "docs/changing-a-stack.md": "issue 11",
  "docs/operations.md": "issue 12",
  "docs/simulate.md": "issue 13",
};

/** What is wrong with a link, or null. */
function problem(link: Link): string | null {
  if (/^[a-z]+:/i.test(link.target)) return null; // https:, mailto:: not checked offline
  const [path, anchor] = link.target.split("#") as [string, string | undefined];
  const file = path === "" ? join(ROOT, link.from) : resolve(dirname(join(ROOT, link.from)), path);
  const rel = relative(ROOT, file);
  if (!existsSync(file)) {
    return `${link.from}: ${link.target}: no file ${rel}`;
  }
  if (anchor === undefined || !file.endsWith(".md")) return null;
  return slugs(read(file)).includes(anchor) ? null : `${link.from}: ${link.target}: no heading #${anchor} in ${rel}`;
}

describe("links in README.md and docs/*.md", () => {
  const all = files.flatMap(links);

  it("finds the links (at least 100)", () => {
    expect(all.length).toBeGreaterThanOrEqual(100);
  });

  it("every relative link names a file that exists and every anchor a heading in it", () => {
    expect(all.map(problem).filter((p) => p !== null)).toEqual([]);
  });

  it("the README links every document in docs/", () => {
    const readme = read(join(ROOT, "README.md"));
    const missing = readdirSync(DOCS)
      .filter((f) => f.endsWith(".md"))
      .filter((f) => !readme.includes(`](docs/${f})`));
    expect(missing).toEqual([]);
  });

  it.each(Object.entries(ISSUE_DOCS))("%s (%s) is linked from the README", (doc) => {
    expect(read(join(ROOT, "README.md")).includes(`](${doc})`)).toBe(true);
  });
});

describe("GitHub heading slugs", () => {
  it("drop punctuation and backticks, keep hyphens, and number repeats", () => {
    expect(
      slugs("## 5. `pulumi login` and `pulumi stack init`\n## Add a team (consumer)\n## Notes\n## Notes\n"),
    ).toEqual(["5-pulumi-login-and-pulumi-stack-init", "add-a-team-consumer", "notes", "notes-1"]);
  });

  it("ignore # lines inside code blocks", () => {
    expect(slugs("# Title\n```bash\n# a comment\n```\n")).toEqual(["title"]);
  });
});

describe("README.md", () => {
  const readme = read(join(ROOT, "README.md"));

  it("is under 250 lines", () => {
    expect(readme.split("\n").length).toBeLessThan(250);
  });

  // Issue #17: the sample was sliced up to its own opening fence, so it was empty and nothing was
  // compared (a changed "Quota pools" header went unnoticed). It is the shipped dev example's output: what
  // `plan --stack dev` prints for test/fixtures/examples/Pulumi.dev.yaml (cli-plan.test.ts shows `--stack`
  // prints formatPlan with the stack name), so an adopter's own dev stack does not break it.
  it("shows lines of `plan --stack dev` exactly as the CLI prints them", () => {
    const at = readme.indexOf("<!-- plan --stack dev");
    const start = readme.indexOf("```text\n", at) + "```text\n".length;
    const sample = readme.slice(start, readme.indexOf("\n```", start)).split("\n");
    const plan = createPlan(loadTopology(exampleFile("dev")), DEFAULT_COST_ASSUMPTIONS);
    const actual = formatPlan(plan, { stack: "dev" }).split("\n");
    expect({ lines: sample.length, missing: sample.filter((l) => !actual.includes(l)) }).toEqual({
      lines: 26,
      missing: [],
    });
  });

  it("names the API by its id and path in the picture", () => {
    expect(readme).toContain(`api["API ${API_ID} at path /${API_PATH}`);
  });

  it("links each common task to its recipe", () => {
    const tasks = [...read(join(DOCS, "common-tasks.md")).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(tasks.filter((t) => !readme.includes(`- [${t}](docs/common-tasks.md#`))).toEqual([]);
  });
});

describe("names the docs call", () => {
  const routes = new Set(EXAMPLE_NAMES.flatMap((s) => loadTopology(exampleFile(s)).routes.map((r) => r.name)));
  const used = files.flatMap((f) =>
    [...read(f).matchAll(/\/deployments\/([A-Za-z0-9._-]+)(?=[/?\s]|$)|\bmodel[=:] ?"([A-Za-z0-9._-]+)"/g)].map(
      (m) => ({
        file: relative(ROOT, f),
        name: m[1] ?? m[2],
      }),
    ),
  );

  it("finds literal deployment names in the docs (at least 2)", () => {
    expect(used.length).toBeGreaterThanOrEqual(2);
  });

  it("every literal deployment in a URL or a model field is a route of a shipped example (test/fixtures/examples)", () => {
    expect(used.filter((u) => !routes.has(u.name))).toEqual([]);
  });
});
