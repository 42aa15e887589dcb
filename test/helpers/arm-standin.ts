/**
 * A local HTTPS stand-in for Azure Resource Manager (issue #19), so the `quota`, `capacity` and
 * `catalog refresh` tests run the real CLI, the real @azure/identity credential and the real
 * @azure/arm-cognitiveservices client, and nothing ever leaves 127.0.0.1:
 *
 * - a self-signed certificate for 127.0.0.1 made by the test with the openssl CLI, trusted by the child
 *   process through NODE_EXTRA_CA_CERTS;
 * - DefaultAzureCredential pinned to AzureCliCredential (AZURE_TOKEN_CREDENTIALS) with a stand-in `az`
 *   first on PATH that prints a token (or fails like a signed-out CLI), so no managed-identity endpoint
 *   and no Entra ID endpoint is ever asked;
 * - responses scripted per path, shaped like the REST API's documented examples (usages, models,
 *   deployments, modelCapacities), with paging (nextLink), 429 + Retry-After, 403 and 404 bodies as ARM
 *   sends them.
 */
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface ScriptedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly authorization: string | undefined;
}

export interface ArmStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Answer `path` (no query) with these responses in turn; the last one repeats. */
  script(path: string, ...responses: ScriptedResponse[]): void;
  /** Run the real bin with the stand-in's environment; resolves with the exit code and output. */
  cli(args: readonly string[], options?: { signedOut?: boolean }): Promise<{ code: number; out: string; err: string }>;
  /** The argument lines the stand-in `az` was called with, in order. */
  azCalls(): string[];
  close(): Promise<void>;
}

const ROOT = resolve(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "aoai-gateway.cjs");

/** ARM's error body (https://learn.microsoft.com/azure/azure-resource-manager/templates/common-deployment-errors). */
export function armError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ScriptedResponse {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

export function ok(body: unknown): ScriptedResponse {
  return { status: 200, body };
}

/** Environment variables that could make a credential reach a real endpoint; the child never sees them. */
const AZURE_ENV = /^(AZURE_|IDENTITY_|MSI_|ARM_|ACTIONS_ID_TOKEN|AZUREPS_|AZURE_CONFIG_DIR)/;

export async function startArmStandIn(): Promise<ArmStandIn> {
  const dir = mkdtempSync(join(tmpdir(), "aoai-gateway-arm-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const openssl = (args: string[]) => {
    try {
      execFileSync("openssl", args, { stdio: "ignore" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(
          "the ARM stand-in makes its certificate with the openssl CLI: install it (Debian package openssl)",
        );
      }
      throw e;
    }
  };
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  // The stand-in `az`: what `az account get-access-token --output json --resource <arm>` prints.
  const bin = join(dir, "bin");
  const signedOutBin = join(dir, "signed-out");
  for (const [folder, script] of [
    [
      bin,
      `#!/bin/sh\necho "$@" >> "${join(dir, "az-calls.log")}"\necho '{"accessToken":"stand-in-token","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"subscription":"00000000-0000-0000-0000-000000000000","tenant":"00000000-0000-0000-0000-000000000001","tokenType":"Bearer"}'\n`,
    ],
    [signedOutBin, `#!/bin/sh\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`],
  ] as const) {
    execFileSync("mkdir", ["-p", folder]);
    writeFileSync(join(folder, "az"), script);
    chmodSync(join(folder, "az"), 0o755);
  }

  const scripts = new Map<string, ScriptedResponse[]>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    requests.push({
      method: req.method ?? "",
      path: url.pathname,
      apiVersion: url.searchParams.get("api-version"),
      authorization: req.headers.authorization,
    });
    const key = url.searchParams.has("page") ? `${url.pathname}?page=${url.searchParams.get("page")}` : url.pathname;
    const queue = scripts.get(key.toLowerCase());
    const answer =
      queue === undefined
        ? armError(404, "NotScripted", `no scripted answer for ${key}`)
        : queue.length > 1
          ? queue.shift()!
          : queue[0];
    res.writeHead(answer.status, { "content-type": "application/json", ...(answer.headers ?? {}) });
    res.end(
      JSON.stringify(answer.body).replaceAll("{{base}}", `https://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    script(path, ...responses) {
      scripts.set(path.toLowerCase(), [...responses]);
    },
    cli(args, options = {}) {
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !AZURE_ENV.test(k)),
      );
      env.PATH = `${options.signedOut ? signedOutBin : bin}:${process.env.PATH ?? ""}`;
      env.NODE_EXTRA_CA_CERTS = cert;
      env.AZURE_TOKEN_CREDENTIALS = "AzureCliCredential";
      // The Azure CLI's own state stays in the test's folder.
      env.AZURE_CONFIG_DIR = join(dir, "azure");
      return new Promise((done) => {
        execFile(
          process.execPath,
          [BIN, ...args, "--arm-endpoint", url],
          { env, cwd: ROOT },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
            done({ code, out: stdout, err: stderr });
          },
        );
      });
    },
    azCalls() {
      const log = join(dir, "az-calls.log");
      return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    },
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** ARM paths of the APIs the CLI reads. */
export const paths = {
  usages: (sub: string, location: string) =>
    `/subscriptions/${sub}/providers/Microsoft.CognitiveServices/locations/${location}/usages`,
  models: (sub: string, location: string) =>
    `/subscriptions/${sub}/providers/Microsoft.CognitiveServices/locations/${location}/models`,
  deployments: (sub: string, group: string, account: string) =>
    `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.CognitiveServices/accounts/${account}/deployments`,
  capacities: (sub: string) => `/subscriptions/${sub}/providers/Microsoft.CognitiveServices/modelCapacities`,
};

/** A usages entry as the Usages - List example shows it (capacity units; 1 = 1,000 TPM). */
export function usage(name: string, currentValue: number, limit: number) {
  return {
    unit: "Count",
    name: { value: name, localizedValue: `Tokens Per Minute (thousands) - ${name}` },
    quotaPeriod: "PT1M",
    limit,
    currentValue,
    status: "Included",
  };
}

/** A models entry as the Models - List example shows it. */
export function model(name: string, version: string, skus: readonly string[], ptu?: { minimum: number; step: number }) {
  return {
    kind: "OpenAI",
    skuName: "S0",
    model: {
      format: "OpenAI",
      name,
      version,
      lifecycleStatus: "GenerallyAvailable",
      isDefaultVersion: true,
      skus: skus.map((sku) => ({
        name: sku,
        usageName: sku.includes("Provisioned") ? `OpenAI.${sku}` : `OpenAI.${sku}.${name}`,
        capacity:
          sku.includes("Provisioned") && ptu
            ? { minimum: ptu.minimum, maximum: 1000, step: ptu.step, default: ptu.minimum }
            : { default: 10, maximum: 1000 },
      })),
    },
  };
}

/** A deployment as Deployments - List shows it. */
export function deploymentEntry(
  sub: string,
  group: string,
  account: string,
  name: string,
  modelName: string,
  sku: string,
  capacity: number,
) {
  return {
    id: `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.CognitiveServices/accounts/${account}/deployments/${name}`,
    name,
    type: "Microsoft.CognitiveServices/accounts/deployments",
    sku: { name: sku, capacity },
    properties: { model: { format: "OpenAI", name: modelName, version: "1" }, provisioningState: "Succeeded" },
  };
}
