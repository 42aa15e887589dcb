/**
 * Issue #14: docs/configuration.md's reference table is generated from the
 * config schema (`npm run docs:config`) and must be up to date; every schema
 * key has a description and no description names a key the schema lacks.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  CONFIG_KEY_DOCS,
  configReferenceTable,
  markers,
  replaceGenerated,
  schemaKeys,
} from "../infra/docs/config-reference";
import { CONFIGURATION_DOC, updatedConfigurationDoc } from "../infra/docs/update";

const doc = readFileSync(CONFIGURATION_DOC, "utf8");

describe("docs/configuration.md", () => {
  it("is what npm run docs:config writes (run it after changing the schema or a key's description)", async () => {
    expect(await updatedConfigurationDoc(doc)).toBe(doc);
  });

  it("has one table row per schema key", () => {
    const { begin, end } = markers("config-reference");
    const block = doc.slice(doc.indexOf(begin), doc.indexOf(end));
    const rows = [...block.matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1]);
    expect(rows).toEqual(schemaKeys().map((k) => k.path));
  });
});

describe("CONFIG_KEY_DOCS", () => {
  it("describes every key of the schema", () => {
    expect(
      schemaKeys()
        .filter((k) => !(k.path in CONFIG_KEY_DOCS))
        .map((k) => k.path),
    ).toEqual([]);
  });

  it("describes no key the schema does not have", () => {
    const keys = schemaKeys().map((k) => k.path);
    expect(Object.keys(CONFIG_KEY_DOCS).filter((k) => !keys.includes(k))).toEqual([]);
  });
});

describe("the generated table", () => {
  const schema = z.strictObject({
    mode: z.enum(["a", "b"]).default("a"),
    count: z.number().int().min(1).max(9).optional(),
    items: z.array(z.strictObject({ name: z.string() })),
  });
  const keys = schemaKeys(schema);

  it("reads key paths, required, defaults, enums and ranges from the schema", () => {
    expect(keys).toEqual([
      { path: "mode", type: "enum", required: false, defaultValue: "a", values: ["a", "b"] },
      { path: "count", type: "integer", required: false, defaultValue: undefined, min: 1, max: 9 },
      { path: "items[].name", type: "string", required: true, defaultValue: undefined },
    ]);
  });

  it("refuses a key without a description, naming it", () => {
    expect(() => configReferenceTable(keys)).toThrow("no entry in CONFIG_KEY_DOCS for: mode, count, items[].name");
  });

  it("writes a row with the allowed values after the meaning", () => {
    const row = configReferenceTable(schemaKeys().filter((k) => k.path === "routing.mode")).split("\n")[2];
    expect(row).toBe(
      "| `routing.mode` | enum | no | `pool` | `pool`: APIM backend pools with circuit breakers; `policy`: selection in the policy. Allowed: `pool`, `policy`. |",
    );
  });

  it("replaces only the text between the markers", () => {
    const { begin, end } = markers("x");
    expect(replaceGenerated(`a\n${begin}\nold\n${end}\nb`, "x", "new\n")).toBe(`a\n${begin}\n\nnew\n\n${end}\nb`);
  });

  it("fails when the markers are missing", () => {
    expect(() => replaceGenerated("no markers", "x", "")).toThrow("markers for x not found");
  });
});
