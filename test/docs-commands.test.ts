/**
 * Issue #17: every command the docs show in a shell code block (sh, bash, console, shell) is either run
 * here or its block says why it cannot run offline. `npx aoai-gateway ...` lines are run, against the
 * shipped examples' test-owned copies (test/fixtures/examples: `--stack prod` reads that prod), and must
 * exit 0. A block holding anything else (az, gh, pulumi, git, npm, curl) must be preceded by
 * `<!-- not run by the tests: REASON -->`; `<!-- none of it is run by the tests: REASON -->` also keeps its
 * `npx aoai-gateway` lines from running (a command the examples' copies cannot serve, such as a region
 * outage on the single-region prod copy: #22's own tests run it on a two-region fixture).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../infra/cli/main";
import { cli } from "./helpers/cli";
import { EXAMPLE_NAMES, exampleFile } from "./helpers/stacks";

const ROOT = resolve(__dirname, "..");
const ADOPTER_STACK = join(__dirname, "fixtures", "adopter", "Pulumi.acme.yaml");
const scratch = mkdtempSync(join(tmpdir(), "aoai-gateway-doc-commands-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DOC_FILES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

export interface ShellBlock {
  readonly file: string;
  readonly line: number;
  /** The reason of a `<!-- not run by the tests: REASON -->` marker right before the block, or null. */
  readonly notRun: string | null;
  /** Marked `<!-- none of it is run by the tests: REASON -->`: not even its aoai-gateway lines run. */
  readonly noneRun?: boolean;
  readonly lines: readonly string[];
}

/** Every fenced sh/bash/console/shell block of a Markdown text (indented ones in lists too). */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(sh|bash|console|shell)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === `${open[1]}\`\`\``);
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === "") before--;
    const marker = before >= 0 ? /<!-- not run by the tests: (.+?) -->/.exec(lines[before]) : null;
    const none = before >= 0 ? /<!-- none of it is run by the tests: (.+?) -->/.exec(lines[before]) : null;
    blocks.push({
      file,
      line: i + 1,
      notRun: (marker ?? none)?.[1].trim() ?? null,
      noneRun: none !== null,
      lines: lines.slice(i + 1, end),
    });
    i = end;
  }
  return blocks;
}

/** The `npx aoai-gateway` commands of a block (trimmed, without `$ ` prompts and trailing comments or pipes). */
export function cliCommands(block: ShellBlock): string[] {
  return block.lines
    .map((l) => l.trim().replace(/^\$ /, ""))
    .filter((l) => l.startsWith("npx aoai-gateway "))
    .map((l) =>
      l
        .replace(/\s+#.*$/, "")
        .split(" | ")[0]
        .trim(),
    );
}

/** Whether a block shows nothing but `npx aoai-gateway` commands (and comments), so the tests run all of it. */
function onlyCli(block: ShellBlock): boolean {
  return block.lines
    .map((l) => l.trim().replace(/^\$ /, ""))
    .filter((l) => l !== "" && !l.startsWith("#"))
    .every((l) => l.startsWith("npx aoai-gateway "));
}

/** Split a command line into words (double and single quotes, `$ENV` read as the dev example). */
function words(line: string): string[] {
  const out = [...line.replaceAll("$ENV", "dev").matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
  return out.slice(2); // drop "npx aoai-gateway"
}

/** The argv the test runs for a doc command: stacks are the examples' fixtures, written files go to scratch. */
function argvFor(line: string): string[] {
  const argv = words(line);
  // A shipped example's test-owned copy, or the adopter stack docs/your-stacks.md adds (acme).
  const stack = (name: string) => {
    const example = EXAMPLE_NAMES.find((e) => e === name);
    if (example) return exampleFile(example);
    if (name === "acme") return ADOPTER_STACK;
    throw new Error(`"${line}" names stack ${name}, neither a shipped example nor the adopter fixture`);
  };
  let named: string | undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if ((flag === "--stack" || flag === "-s") && value !== undefined) {
      named = value;
      out.push("--config", stack(value));
      i++;
    } else if ((flag === "--out" || flag === "-o" || flag === "--chart") && value !== undefined && value !== "-") {
      out.push(flag, join(scratch, `${out.length}-${basename(value)}`));
      i++;
    } else if (flag === "--against" && value !== undefined) {
      // The doc's file is `git show main:stacks/Pulumi.<stack>.yaml`: the example as deployed, unchanged.
      out.push(flag, stack(named ?? "dev"));
      i++;
    } else out.push(flag);
  }
  return out;
}

/** Run one doc command: in-process, or as a child process for `preview` (the program runs once per process). */
async function runDocCommand(line: string): Promise<{ code: number | null; err: string }> {
  const argv = argvFor(line);
  if (argv[0] !== "preview") return cli(...argv);
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "aoai-gateway.cjs"), ...argv], { encoding: "utf8" });
  return { code: r.status, err: r.stderr };
}

const blocks = DOC_FILES.flatMap((f) => shellBlocks(f, readFileSync(join(ROOT, f), "utf8")));
/**
 * Commands that need Azure or a deployed gateway, never run here: `quota`, `capacity` and `catalog refresh`
 * read Azure Resource Manager (#19; test/quota-arm.test.ts runs them against a local ARM stand-in); `smoke`
 * and `load` call a running gateway (#21; test/emulator/ops.test.ts runs them against apim-emulate --serve).
 */
const NEEDS_AZURE = ["quota", "capacity", "catalog", "smoke", "load"];
const commands = [...new Set(blocks.filter((b) => !b.noneRun).flatMap(cliCommands))].filter(
  (c) => !NEEDS_AZURE.includes(words(c)[0]),
);

describe("shell blocks in README.md and docs/", () => {
  it("are found (README's quick start at least)", () => {
    expect(
      blocks.some((b) => b.file === "README.md" && cliCommands(b).includes("npx aoai-gateway plan --stack dev")),
    ).toBe(true);
  });

  it("either hold only aoai-gateway commands or say why they are not run offline", () => {
    expect(blocks.filter((b) => !onlyCli(b) && b.notRun === null).map((b) => `${b.file}:${b.line}`)).toEqual([]);
  });
});

describe("the CLI in the docs", () => {
  const program = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
  const cliDoc = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const readmeTable = readme.slice(readme.indexOf("## The CLI"), readme.indexOf("## How we test"));

  it("docs/cli.md names every option of every command", () => {
    const missing = program.commands.flatMap((c) =>
      c.options.filter((o) => o.long && !cliDoc.includes(o.long)).map((o) => `${c.name()} ${o.long}`),
    );
    expect(missing).toEqual([]);
  });

  it("README's CLI table has a row for every command, and for plan's cost flags and --against", () => {
    const rows = readmeTable.split("\n").filter((l) => l.startsWith("| `npx aoai-gateway "));
    expect({
      commands: program.commands
        .map((c) => c.name())
        .filter((n) => !rows.some((r) => r.startsWith(`| \`npx aoai-gateway ${n} `))),
      plan: ["--utilization", "--input-share", "--cached-input-share", "--against"].filter(
        (f) => !readmeTable.includes(f),
      ),
    }).toEqual({ commands: [], plan: [] });
  });
});

describe("user-facing docs (all but docs/testing.md)", () => {
  it("never point at ../shared, which adopters do not have", () => {
    const mentions = DOC_FILES.filter((f) => f !== "docs/testing.md").flatMap((f) =>
      readFileSync(join(ROOT, f), "utf8")
        .split("\n")
        .flatMap((l, i) => (/(^|[\s`(])(\.\.\/)?shared\/(tools|docs)\b/.test(l) ? [`${f}:${i + 1}`] : [])),
    );
    expect(mentions).toEqual([]);
  });
});

describe.each(commands)("doc command `%s`", (line) => {
  it("exits 0 on the shipped examples", async () => {
    const r = await runDocCommand(line);
    expect([r.code, r.err]).toEqual([0, ""]);
  });
});

describe("shellBlocks", () => {
  it("reads the marker before a block and the block's lines", () => {
    const md =
      "Text\n\n<!-- not run by the tests: needs Azure -->\n\n```bash\naz login\n```\n\n```sh\nnpx aoai-gateway plan --stack dev # x\n```\n";
    expect(shellBlocks("x.md", md).map((b) => [b.line, b.notRun, b.lines, cliCommands(b)])).toEqual([
      [5, "needs Azure", ["az login"], []],
      [9, null, ["npx aoai-gateway plan --stack dev # x"], ["npx aoai-gateway plan --stack dev"]],
    ]);
  });
});
