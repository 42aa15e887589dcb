/**
 * `aoai-gateway smoke (--stack NAME | --config FILE) --url GATEWAY_URL [--key KEY] [--json]` (issue #21): prove
 * a deployed gateway works route by route and member by member (smoke-run.ts). Exit 0 when every call
 * succeeded, 1 naming each failing member and what to do. The key is the stack output `operatorKey`; it may come
 * from the environment (AOAI_GATEWAY_KEY) so it does not show in the process list or CI logs.
 */
import type { RegisterCommand } from "./commands";
import { type SourceOptions, UsageError, addSourceOptions, examples, loadTopology, sourceFile } from "./common";
import { SMOKE_TIMEOUT_SECONDS, formatSmoke, runSmoke, smokeCalls } from "./smoke-run";

/** Where `--key` may come from instead of the command line. */
export const KEY_ENV = "AOAI_GATEWAY_KEY";

interface SmokeOptions extends SourceOptions {
  json: boolean;
  url?: string;
  key?: string;
  timeout: string;
}

/** The gateway URL: http(s), no query (`https://<service>.azure-api.net`). */
export function gatewayUrlOption(text: string | undefined): string {
  if (text === undefined) throw new UsageError("give --url GATEWAY_URL (the stack output gatewayUrl)");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(text)}: allowed is an http(s) URL such as https://NAME.azure-api.net`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `--url ${JSON.stringify(text)}: allowed is an http(s) URL without query, such as https://NAME.azure-api.net`,
    );
  }
  return url.toString().replace(/\/+$/, "");
}

/** `--key`, else AOAI_GATEWAY_KEY. */
export function keyOption(key: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = key ?? env[KEY_ENV];
  if (value === undefined || value.trim() === "") {
    throw new UsageError(`give --key KEY or set ${KEY_ENV} (smoke: the stack output operatorKey)`);
  }
  return value.trim();
}

export const registerSmoke: RegisterCommand = (program, io, setCode) => {
  addSourceOptions(
    program
      .command("smoke")
      .description(
        "call a deployed gateway on every route (classic and v1 paths) and every member (operator key), and say what to fix for each failing member",
      )
      .addHelpText(
        "after",
        examples(
          `npx aoai-gateway smoke --stack dev --url https://NAME.azure-api.net   # key from $${KEY_ENV}`,
          `${KEY_ENV}="$(pulumi stack output operatorKey --show-secrets)" npx aoai-gateway smoke --stack dev --url "$(pulumi stack output gatewayUrl)"`,
          "npx aoai-gateway smoke --stack prod --url https://contoso-ai-554e8197.azure-api.net --key KEY --json",
        ),
      ),
  )
    .option("--url <url>", "the gateway URL (stack output gatewayUrl)")
    .option("--key <key>", `the operator subscription key (stack output operatorKey); default: $${KEY_ENV}`)
    .option("--timeout <seconds>", "timeout of one call", String(SMOKE_TIMEOUT_SECONDS))
    .action(async (opts: SmokeOptions) => {
      const url = gatewayUrlOption(opts.url);
      const key = keyOption(opts.key);
      const timeoutSeconds = Number(opts.timeout);
      if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 300) {
        throw new UsageError(
          `--timeout ${JSON.stringify(opts.timeout)}: allowed is an integer from 1 to 300 (seconds)`,
        );
      }
      const topology = loadTopology(sourceFile(opts));
      const results = await runSmoke(smokeCalls(topology), { url, key, timeoutSeconds });
      const failed = results.filter((r) => !r.ok);
      if (opts.json) {
        io.out(
          JSON.stringify(
            {
              gateway: topology.gateway.name,
              url,
              ok: failed.length === 0,
              calls: results.map((r) => ({
                kind: r.call.kind,
                route: r.call.route,
                member: r.call.member ?? null,
                where: r.call.where ?? null,
                operation: r.call.operation,
                path: r.call.path,
                status: r.status,
                ok: r.ok,
                attempts: r.attempts,
                ms: r.ms,
                detail: r.detail,
                advice: r.advice,
              })),
            },
            null,
            2,
          ) + "\n",
        );
      } else {
        io.out(formatSmoke(results));
      }
      for (const r of failed) io.err(`smoke: ${r.advice}\n`);
      setCode(failed.length === 0 ? 0 : 1);
    });
};
