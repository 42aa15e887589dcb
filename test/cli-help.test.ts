/**
 * Issue #14: every command's help has an example, `--version` prints the
 * package's version, and every CLI error is one line on stderr: exit 1 for
 * a failure the user fixes in a file or the config, exit 2 for a wrong
 * command line (docs/cli.md, "Exit codes and errors").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram } from "../infra/cli/main";
import { renderPolicies } from "../infra/policies/render";
import { loadTopology } from "../infra/cli/common";
import { cli } from "./helpers/cli";
import { exampleFile } from "./helpers/stacks";

const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-cli-help-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands = buildProgram({ out: () => undefined, err: () => undefined }, () => undefined).commands.map((c) =>
  c.name(),
);

describe("the commands", () => {
  it("are plan, preview, render and diagram (at least)", () => {
    expect(["plan", "preview", "render", "diagram"].filter((c) => !commands.includes(c))).toEqual([]);
  });
});

describe.each(commands)("aoai-gateway %s --help", (command) => {
  it("exits 0 and shows an example that runs this command", async () => {
    const r = await cli(command, "--help");
    expect([r.code, /\nExamples:\n {2}\$ npx aoai-gateway (\S+) /.exec(r.out)?.[1]]).toEqual([0, command]);
  });
});

describe("aoai-gateway --help", () => {
  it("lists every command and shows examples", async () => {
    const r = await cli("--help");
    expect([r.code, commands.filter((c) => !r.out.includes(`\n  ${c} `)), r.out.includes("\nExamples:\n")]).toEqual([
      0,
      [],
      true,
    ]);
  });
});

describe("aoai-gateway --version", () => {
  it("prints the version in package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };
    expect(await cli("--version")).toEqual({ code: 0, out: `${version}\n`, err: "" });
  });
});

describe("render --out", () => {
  it("prints the policy document to stdout with --out -", async () => {
    const r = await cli("render", "--config", exampleFile("dev"), "--out", "-");
    expect([r.code, r.err, r.out]).toEqual([0, "", renderPolicies(loadTopology(exampleFile("dev")))[0].xml]);
  });

  it("prints the documents as JSON with --out - --json", async () => {
    const r = await cli("render", "--config", exampleFile("dev"), "--out", "-", "--json");
    const xml = renderPolicies(loadTopology(exampleFile("dev")))[0].xml;
    expect(JSON.parse(r.out)).toEqual({ routingMode: "pool", policies: [{ scope: "api", id: "azure-openai", xml }] });
  });

  it("onto an existing file exits 1 with one line and no stack trace", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const r = await cli("render", "--config", exampleFile("dev"), "--out", file);
    expect([r.code, r.out, r.err]).toEqual([
      1,
      "",
      `error: cannot write the policies to ${file}: a file is in the way (give a folder, or another path)\n`,
    ]);
  });

  it("under an existing file exits 1 with one line", async () => {
    const file = join(dir, "another-file");
    writeFileSync(file, "");
    const r = await cli("render", "--config", exampleFile("dev"), "--out", join(file, "sub"));
    expect([r.code, r.err]).toEqual([
      1,
      `error: cannot write the policies to ${join(file, "sub")}: a part of the path is a file, not a folder\n`,
    ]);
  });
});

describe("usage errors", () => {
  it("exit 2 for an unknown command, with commander's one line", async () => {
    const r = await cli("plna");
    expect([
      r.code,
      r.err.split("\n").filter(Boolean).length,
      r.err.startsWith("error: unknown command 'plna'"),
    ]).toEqual([2, 1, true]);
  });

  it("exit 2 for a missing required option", async () => {
    const r = await cli("render", "--config", exampleFile("dev"));
    expect([r.code, r.err]).toEqual([2, "error: required option '-o, --out <dir>' not specified\n"]);
  });
});
