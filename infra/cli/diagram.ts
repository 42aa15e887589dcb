/**
 * `aoai-gateway diagram (--stack NAME | --config FILE) [--format mermaid|svg] [--out FILE]`:
 * the stack's own topology as a picture (issue #14). Mermaid by default (for
 * the README or a pull request comment; the PR preview workflow posts it),
 * or a standalone SVG file. Printed to stdout unless `--out FILE` is given.
 */
import { Option } from "commander";
import { createPlan } from "../model/plan";
import { DIAGRAM_FORMATS, type DiagramFormat, diagram } from "../model/diagram";
import type { RegisterCommand } from "./commands";
import { type SourceOptions, addStackOptions, emit, examples, loadTopology, sourceFile } from "./common";

interface DiagramOptions extends SourceOptions {
  format: DiagramFormat;
  out?: string;
}

export const registerDiagram: RegisterCommand = (program, io, setCode) => {
  addStackOptions(
    program
      .command("diagram")
      .description(
        "draw the stack's topology: gateway, routes (pools) and every member with subscription, region, type, capacity, priority and weight",
      )
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway diagram --stack prod",
          "npx aoai-gateway diagram --stack prod --format svg --out prod.svg",
        ),
      ),
  )
    .addOption(
      new Option("-f, --format <format>", "mermaid (a flowchart) or svg")
        .choices([...DIAGRAM_FORMATS])
        .default("mermaid"),
    )
    .option("-o, --out <file>", "write to this file instead of stdout (- for stdout)")
    .action((opts: DiagramOptions) => {
      const text = diagram(createPlan(loadTopology(sourceFile(opts))), opts.format);
      const file = emit(io, text, opts.out);
      if (file !== null) io.err(`wrote ${file}\n`);
      setCode(0);
    });
};
