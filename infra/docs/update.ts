/**
 * `npm run docs:config`: rewrite the generated configuration reference in
 * docs/configuration.md from the schema (config-reference.ts), formatted by
 * Prettier as `npm run lint` expects. test/docs-config.test.ts runs the same
 * function and fails when the file on disk differs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { PROJECT_ROOT } from "../config/load";
import { configReferenceTable, replaceGenerated } from "./config-reference";

export const CONFIGURATION_DOC = join(PROJECT_ROOT, "docs", "configuration.md");

/** The configuration doc with its generated table brought up to date. */
export async function updatedConfigurationDoc(text: string): Promise<string> {
  const options = (await prettier.resolveConfig(CONFIGURATION_DOC)) ?? {};
  return prettier.format(replaceGenerated(text, "config-reference", configReferenceTable()), {
    ...options,
    filepath: CONFIGURATION_DOC,
  });
}

async function main(): Promise<void> {
  const before = readFileSync(CONFIGURATION_DOC, "utf8");
  const after = await updatedConfigurationDoc(before);
  writeFileSync(CONFIGURATION_DOC, after);
  process.stdout.write(`${before === after ? "up to date" : "updated"}: ${CONFIGURATION_DOC}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`docs:config: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
