/** Issue #17: the package version follows the releases, and CHANGELOG.md says what each changes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./helpers/cli";

const ROOT = join(__dirname, "..");
const json = (file: string) => JSON.parse(readFileSync(join(ROOT, file), "utf8")) as Record<string, unknown>;
const version = json("package.json").version as string;
const lock = json("package-lock.json") as { version: string; packages: Record<string, { version?: string }> };
const changelog = readFileSync(join(ROOT, "CHANGELOG.md"), "utf8");
/** The release headings, `## <version> - <date or Unreleased>`, in file order. */
const releases = [...changelog.matchAll(/^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2}|Unreleased)$/gm)].map((m) => [
  m[1],
  m[2],
]);

describe("the package version", () => {
  it("is 0.3.0, the release in the making", () => {
    expect(version).toBe("0.3.0");
  });

  it("is the same in package-lock.json's root entries", () => {
    expect([lock.version, lock.packages[""].version]).toEqual([version, version]);
  });

  it("is what `aoai-gateway --version` prints", async () => {
    expect(await cli("--version")).toEqual({ code: 0, out: "0.3.0\n", err: "" });
  });
});

describe("CHANGELOG.md", () => {
  it("has a section per release, newest first, the first one the package's version", () => {
    expect(releases).toEqual([
      [version, "Unreleased"],
      ["0.2.0", "2026-12-02"],
      ["0.1.0", "2026-11-22"],
    ]);
  });

  it("says for every release what changes for an existing stack", () => {
    const sections = changelog.split(/^## /m).slice(1);
    expect(sections.map((s) => s.includes("\n### Upgrading an existing stack\n"))).toEqual(
      releases.map((_, i) => i < releases.length - 1),
    );
  });

  it("states 0.2's breaking changes: key for a second entry in a subscription and region, Premium v2's new name", () => {
    const v02 = changelog.slice(changelog.indexOf("## 0.2.0"), changelog.indexOf("## 0.1.0"));
    expect([v02.includes("need a `key`"), v02.includes("Premium v2 gateways get a service name of their own")]).toEqual(
      [true, true],
    );
  });
});
