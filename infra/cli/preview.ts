/**
 * `aoai-gateway preview`: every resource the real program registers for a
 * stack, from the program itself run under Pulumi's mocks (no Pulumi CLI, no
 * credentials). See mock-run.ts.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { readStackConfig } from "../config/load";
import { SECRET_SHOWN } from "../config/schema";
import { secretConfigKeys } from "../config/secrets";
import { addSourceOptions, examples, loadTopology, sourceFile, type Io, type SourceOptions } from "./common";
import { type RecordedResource, azureNameOf, runProgramWithMocks } from "./mock-run";

/** The stack name a file stands for: `Pulumi.<name>.yaml` -> name. */
export function stackNameOf(file: string): string {
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(file));
  return m ? m[1] : "preview";
}

/** Run the program for a stack file under mocks. */
export async function previewStack(file: string): Promise<readonly RecordedResource[]> {
  loadTopology(file); // config errors surface here, as in `plan`, before the program runs
  const config = readStackConfig(file);
  const result = await runProgramWithMocks({
    config,
    // As the engine would: a key holding a `secure:` leaf is secret as a whole (issue #17).
    secretKeys: secretConfigKeys(config),
    stack: stackNameOf(file),
    // The CLI runs as CommonJS under tsx (bin/aoai-gateway.cjs); a dynamic
    // import() would go through Node's ESM loader, which tsx/cjs does not hook.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: () => Promise.resolve<unknown>(require("../index")),
  });
  return result.resources;
}

/** Where a resource runs: its own location, or that of the account or service it belongs to. */
export function regionOf(r: RecordedResource, all: readonly RecordedResource[]): string {
  if (typeof r.inputs.location === "string") return r.inputs.location;
  const find = (type: string[], key: string, value: unknown) =>
    all.find((o) => type.includes(o.type) && o.inputs[key] === value && typeof o.inputs.location === "string");
  if (typeof r.inputs.serviceName === "string") {
    const svc =
      find(["azure-native:apimanagement:ApiManagementService"], "serviceName", r.inputs.serviceName) ??
      find(["azure-native:resources:Resource"], "resourceName", r.inputs.serviceName);
    if (svc) return String(svc.inputs.location);
  }
  if (typeof r.inputs.accountName === "string") {
    const acct = find(["azure-native:cognitiveservices:Account"], "accountName", r.inputs.accountName);
    if (acct) return String(acct.inputs.location);
  }
  if (typeof r.inputs.scope === "string") {
    const scope = r.inputs.scope;
    const acct = all.find(
      (o) =>
        o.type === "azure-native:cognitiveservices:Account" &&
        scope.endsWith(`/accounts/${String(o.inputs.accountName)}`),
    );
    if (acct) return String(acct.inputs.location);
  }
  return "global";
}

/**
 * One line per resource: type, Pulumi's logical name and, where the resource
 * has one, its Azure name (issue #14: account names, the APIM service name
 * and backend ids are what a user finds in the portal).
 */
function resourceLines(list: readonly RecordedResource[]): string[] {
  const typeWidth = Math.max(...list.map((r) => r.type.length));
  const nameWidth = Math.max(...list.map((r) => r.name.length));
  return list.map((r) => {
    const azure = azureNameOf(r);
    const line = `    ${r.type.padEnd(typeWidth)}  ${r.name.padEnd(nameWidth)}`;
    return (azure === null ? line : `${line}  azure: ${azure}`).trimEnd();
  });
}

/**
 * A resource as `preview --json` prints it: every secret input shown as [secret], never its value, and
 * `secretInputs` only where there are some (issue #17).
 */
export function maskSecrets(
  r: RecordedResource,
): Omit<RecordedResource, "secretInputs"> & { secretInputs?: readonly string[] } {
  if (r.secretInputs.length === 0) {
    const { secretInputs: _none, ...rest } = r;
    return rest;
  }
  return {
    ...r,
    inputs: Object.fromEntries(
      Object.entries(r.inputs).map(([k, v]) => [k, r.secretInputs.includes(k) ? SECRET_SHOWN : v]),
    ),
  };
}

export function formatPreview(resources: readonly RecordedResource[]): string {
  const providers = resources.filter((r) => r.type.startsWith("pulumi:providers:"));
  const custom = resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
  const out: string[] = [];
  for (const p of providers) {
    const inGroup = custom.filter((r) => r.provider === p.name);
    out.push(`Subscription ${String(p.inputs.subscriptionId)} (provider ${p.name}): ${inGroup.length} resources`);
    const regions = [...new Set(inGroup.map((r) => regionOf(r, resources)))].sort();
    for (const region of regions) {
      const here = inGroup.filter((r) => regionOf(r, resources) === region);
      out.push(`  ${region} (${here.length})`);
      out.push(...resourceLines(here));
    }
  }
  const orphans = custom.filter((r) => r.provider === null);
  if (orphans.length > 0) {
    out.push(`Without an explicit provider (${orphans.length}):`, ...resourceLines(orphans));
  }
  const components = resources.filter((r) => !r.custom);
  out.push("", `${custom.length} resources under ${providers.length} providers, in ${components.length} components.`);
  return out.join("\n") + "\n";
}

export function registerPreview(program: Command, io: Io, setCode: (code: number) => void): void {
  addSourceOptions(
    program
      .command("preview")
      .description(
        "run the Pulumi program offline under mocks and list every resource it would register, with its Azure name",
      )
      .addHelpText(
        "after",
        examples("npx aoai-gateway preview --stack dev", "npx aoai-gateway preview --stack prod --json"),
      ),
  ).action(async (opts: SourceOptions & { json: boolean }) => {
    const resources = await previewStack(sourceFile(opts));
    io.out(
      opts.json ? JSON.stringify({ resources: resources.map(maskSecrets) }, null, 2) + "\n" : formatPreview(resources),
    );
    setCode(0);
  });
}
