/**
 * `aoai-gateway render (--stack NAME | --config FILE) --out DIR`: write every
 * policy document the stack attaches, one XML file per scope. The Pulumi
 * program attaches the same text: both call `renderPolicies`. `--out -`
 * prints the documents to stdout instead (issue #14).
 *
 * `--routing-mode pool|policy` renders the stack as if `aoai-gateway:routing`
 * said so (validated like the stack file), to review or lint the other mode.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Option } from "commander";
import { ROUTING_MODES, type RoutingMode } from "../config/schema";
import { renderPolicies } from "../policies/render";
import type { RegisterCommand } from "./commands";
import { type SourceOptions, addSourceOptions, examples, loadTopology, sourceFile, writing } from "./common";

interface RenderOptions extends SourceOptions {
  out: string;
  json: boolean;
  routingMode?: RoutingMode;
}

export const registerRender: RegisterCommand = (program, io, setCode) => {
  addSourceOptions(
    program
      .command("render")
      .description("write the APIM policy documents a stack attaches, one XML file per scope")
      .addHelpText(
        "after",
        examples(
          "npx aoai-gateway render --stack prod --out /tmp/policies",
          "npx aoai-gateway render --stack dev --routing-mode policy --out -",
        ),
      ),
  )
    .requiredOption("-o, --out <dir>", "directory to write the policy files to (created if missing), or - for stdout")
    .addOption(
      new Option("--routing-mode <mode>", "render as if aoai-gateway:routing.mode were this").choices([
        ...ROUTING_MODES,
      ]),
    )
    .action((opts: RenderOptions) => {
      const topology = loadTopology(sourceFile(opts), (raw) => {
        if (!opts.routingMode) return;
        const routing = raw.routing !== null && typeof raw.routing === "object" ? raw.routing : {};
        raw.routing = { ...routing, mode: opts.routingMode };
      });
      const policies = renderPolicies(topology);
      if (opts.out === "-") {
        io.out(
          opts.json
            ? JSON.stringify(
                {
                  routingMode: topology.routingMode,
                  policies: policies.map(({ scope, id, xml }) => ({ scope, id, xml })),
                },
                null,
                2,
              ) + "\n"
            : policies.map((p) => p.xml).join("\n"),
        );
        setCode(0);
        return;
      }
      const dir = resolve(opts.out);
      writing(`the policies to ${dir}`, () => mkdirSync(dir, { recursive: true }));
      const written = policies.map((p) => {
        const file = join(dir, p.fileName);
        writing(file, () => writeFileSync(file, p.xml));
        return { scope: p.scope, id: p.id, file };
      });
      if (opts.json) {
        io.out(JSON.stringify({ routingMode: topology.routingMode, policies: written }, null, 2) + "\n");
      } else {
        io.out(written.map((w) => `${w.scope} ${w.id}: ${w.file}`).join("\n") + "\n");
      }
      setCode(0);
    });
};
