/**
 * The README's configuration reference covers every key of the config schema
 * (and names no key the schema does not have).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { RootSchema } from "../infra/config/schema";

/** Leaf key paths of a zod schema, `a.b[].c` style. */
function keyPaths(schema: z.ZodType, prefix: string): string[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
    return keyPaths(schema.unwrap() as z.ZodType, prefix);
  }
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      keyPaths(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  if (schema instanceof z.ZodArray) {
    const inner = schema.element as z.ZodType;
    return inner instanceof z.ZodObject ? keyPaths(inner, `${prefix}[]`) : [prefix];
  }
  return [prefix];
}

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("### Quota model"));
const documented = [...section.matchAll(/^\| `([^`]+)`\s+\|/gm)].map((m) => m[1]);

describe("README configuration reference", () => {
  it("documents every key of the config schema", () => {
    expect(keyPaths(RootSchema, "").filter((k) => !documented.includes(k))).toEqual([]);
  });

  it("documents no key the schema does not have", () => {
    const keys = keyPaths(RootSchema, "");
    expect(documented.filter((k) => !keys.includes(k))).toEqual([]);
  });
});
