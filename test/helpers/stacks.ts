/**
 * The two kinds of stack file the tests read (issue #17: an adopter's stacks must not break the suite).
 *
 * - `stackFiles()`: every `Pulumi.<name>.yaml` in the repository's `stacks/` folder, discovered. Tests over
 *   these assert only what holds for ANY stack (it validates, plans, renders, lints, runs under mocks,
 *   invariants such as "every member appears in the diagram"). An adopter adds, edits and deletes files
 *   there freely.
 * - `exampleFile(name)`: the test-owned copies of the shipped examples in `test/fixtures/examples/`. Every
 *   pinned value (exact counts, names, snapshots, the README's sample output) is asserted on these, never on
 *   `stacks/`, so editing or retiring the examples in `stacks/` changes no expectation.
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PROJECT_ROOT } from "../../infra/config/load";

/** The folder of the test-owned example stacks (copies of stacks/ as shipped in 0.3.0). */
export const EXAMPLES_DIR = resolve(__dirname, "..", "fixtures", "examples");

/** The shipped examples the pinned tests use. */
export type ExampleName = "dev" | "prod" | "staging";
export const EXAMPLE_NAMES: readonly ExampleName[] = ["dev", "prod", "staging"];

/** The test-owned copy of a shipped example stack file. */
export function exampleFile(name: ExampleName): string {
  return join(EXAMPLES_DIR, `Pulumi.${name}.yaml`);
}

export interface StackFile {
  /** The stack name (`<name>` of `Pulumi.<name>.yaml`). */
  readonly name: string;
  /** Absolute path of the file. */
  readonly file: string;
}

/** Stack files in a folder holding `Pulumi.<name>.yaml` files, sorted by name. */
export function stackFilesIn(dir: string): StackFile[] {
  return readdirSync(dir)
    .map((f) => ({ f, name: /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1] }))
    .filter((x): x is { f: string; name: string } => x.name !== undefined)
    .map(({ f, name }) => ({ name, file: join(dir, f) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every stack file in the repository's stacks/ folder (the invariant tests' subjects; never pinned). */
export function stackFiles(): StackFile[] {
  return stackFilesIn(join(PROJECT_ROOT, "stacks"));
}
