/**
 * Issue #17: Pulumi secrets (`secure:`) in stack config, plain-text credentials, and the stack file's
 * top level. Pinned against fixtures under test/fixtures/config-checks/, never against stacks/.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import { SECRET_CAPABLE_KEYS, credentialIn, secretConfigKeys } from "../infra/config/secrets";
import { ConfigError, validateConfig } from "../infra/config/validate";
import type { MockRunResult } from "../infra/cli/mock-run";
import { buildTopology } from "../infra/model/topology";
import { cli } from "./helpers/cli";

const FIXTURES = join(__dirname, "fixtures", "config-checks");
const SECURE = join(FIXTURES, "secure-webhook.yaml");
const CIPHERTEXT = "v1:8qVm3pUe1QO0n7WQ:Jm3kq8s3Xw9Tz0c5XJ1mZqk0Hc3JQb2gqv1mS8f1";

function raw(): Record<string, unknown> {
  return namespaceConfig(readStackConfig(SECURE));
}

function problems(config: Record<string, unknown>): readonly string[] {
  try {
    validateConfig(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

function withWebhooks(webhooks: unknown[]): Record<string, unknown> {
  return { ...raw(), monitoring: { alerts: { webhooks } } };
}

describe("secure: values", () => {
  it("accepts a secure: map where a webhook URL goes and keeps it opaque", () => {
    const config = validateConfig(raw());
    expect(config.monitoring.alerts.webhooks).toEqual([
      { secure: CIPHERTEXT },
      "https://ops.example.com/hooks/aoai?code=abc123",
      "https://ops.example.com/hooks/plain",
    ]);
  });

  it("accepts Pulumi Cloud's ciphertext without the v1: prefix", () => {
    expect(problems(withWebhooks([{ secure: "AAABAKx3c0dGqVAFZ8q0wT2m" }]))).toEqual([]);
  });

  it("refuses a secure: map with another key, naming the key path and what is allowed", () => {
    expect(problems(withWebhooks([{ secure: CIPHERTEXT, note: "x" }]))).toEqual([
      'aoai-gateway:monitoring.alerts.webhooks[0]: unknown key "note" beside secure; allowed: a Pulumi secret: a map with the one key secure holding the ciphertext (secure: v1:...), as `pulumi config set --path --secret KEY VALUE` writes it',
    ]);
  });

  it("refuses a secure: value that is not ciphertext", () => {
    expect(problems(withWebhooks([{ secure: "https://x" }]))).toEqual([
      'aoai-gateway:monitoring.alerts.webhooks[0].secure: got "https://x"; allowed: Pulumi ciphertext (v1:<nonce>:<ciphertext>, or base64 from Pulumi Cloud), as `pulumi config set --secret` writes it',
    ]);
  });

  it("refuses a map without secure with both readings", () => {
    expect(problems(withWebhooks([{ url: "https://x.example" }]))).toEqual([
      "aoai-gateway:monitoring.alerts.webhooks[0]: got a map; allowed: an https:// URL, or a Pulumi secret: a map with the one key secure holding the ciphertext (secure: v1:...), as `pulumi config set --path --secret KEY VALUE` writes it",
    ]);
  });

  it("still refuses a plain http:// URL with the plain rule", () => {
    expect(problems(withWebhooks(["http://x.example"]))).toEqual([
      'aoai-gateway:monitoring.alerts.webhooks[0]: got "http://x.example"; allowed: an https:// URL',
    ]);
  });

  it("does not repeat a refused value that carries a credential", () => {
    expect(problems(withWebhooks(["http://hooks.example.com/x?code=abc123"]))).toEqual([
      'aoai-gateway:monitoring.alerts.webhooks[0]: got a value that carries a credential (query parameter "code"; not shown); allowed: an https:// URL',
    ]);
  });

  it("finds every secret-capable key in the schema: today the webhook URLs", () => {
    expect(SECRET_CAPABLE_KEYS).toEqual(["monitoring.alerts.webhooks[]"]);
  });

  it("names the keys the engine would mark secret: those holding a secure: leaf", () => {
    expect(secretConfigKeys(readStackConfig(SECURE))).toEqual(["aoai-gateway:monitoring"]);
  });
});

describe("plain-text credentials", () => {
  it("warns once, for the plain URL with a code parameter, naming the key and the command, never the value", () => {
    const warnings = buildTopology(validateConfig(raw())).warnings.filter((w) => w.includes("credential"));
    expect(warnings).toEqual([
      "aoai-gateway:monitoring.alerts.webhooks[1]: plain text that carries a credential (query parameter \"code\"), readable by anyone who can read the stack file; store it as a Pulumi secret: pulumi config set --path --secret 'aoai-gateway:monitoring.alerts.webhooks[1]' '<the URL>' (the stack file then holds secure: v1:...)",
    ]);
    expect(warnings.join("\n")).not.toContain("abc123");
  });

  it.each([
    ["https://user:pass@hooks.example.com/x", "a user name or password before the host"],
    [
      "https://prod-1.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2F&sig=abc",
      'query parameter "sig"',
    ],
    ["https://hooks.example.com/x?access_token=a&apiKey=b", 'query parameters "access_token", "apiKey"'],
    ["https://hooks.slack.com/services/T0/B0/XXXX", "a hooks.slack.com webhook path (the path is the token)"],
    [
      "https://contoso.webhook.office.com/webhookb2/abc",
      "a contoso.webhook.office.com webhook path (the path is the token)",
    ],
    ["https://hooks.example.com/aoai?team=platform", undefined],
  ])("reads %s as %s", (url, why) => {
    expect(credentialIn(url)).toBe(why);
  });
});

describe("the stack file's top level", () => {
  it("refuses a key beside config:, naming it and saying it belongs under config:", async () => {
    const file = join(FIXTURES, "snippet-at-top-level.yaml");
    const r = await cli("plan", "--config", file);
    expect([r.code, r.out, r.err]).toEqual([
      1,
      "",
      `${file}: top-level key "aoai-gateway:consumers" is not read by Pulumi: it belongs under config: (indent it by two spaces below the config: line); allowed at the top level: config, encryptionsalt, secretsprovider, encryptedkey, environment\n`,
    ]);
  });

  it("accepts encryptionsalt beside config: (what pulumi stack init with a passphrase writes)", async () => {
    expect((await cli("plan", "--config", SECURE)).code).toBe(0);
  });
});

describe("the program keeps webhook URLs secret", () => {
  async function run(config: Record<string, unknown>, secretKeys?: string[]): Promise<MockRunResult> {
    vi.resetModules();
    const { runProgramWithMocks } = await import("../infra/cli/mock-run.js");
    return runProgramWithMocks({ config, secretKeys, stack: "test", load: () => import("../infra/index.js") });
  }
  const actionGroup = (r: MockRunResult) => {
    const found = r.resources.find((x) => x.type === "azure-native:monitor:ActionGroup");
    if (!found) throw new Error("no action group");
    return found;
  };

  it("passes the decrypted URL the engine supplies into the action group as a secret input", async () => {
    // What the engine does with the fixture: decrypts the secure: leaf and marks the whole key secret.
    const config = readStackConfig(SECURE);
    config["aoai-gateway:monitoring"] = {
      alerts: { webhooks: ["https://ops.example.com/hooks/decrypted?code=s3cret"] },
    };
    const group = actionGroup(await run(config, ["aoai-gateway:monitoring"]));
    expect([group.secretInputs, group.inputs.webhookReceivers]).toEqual([
      ["webhookReceivers"],
      [
        {
          name: "webhook-0",
          serviceUri: "https://ops.example.com/hooks/decrypted?code=s3cret",
          useCommonAlertSchema: true,
        },
      ],
    ]);
  });

  it("keeps a plain-text webhook secret too", async () => {
    const config = readStackConfig(SECURE);
    config["aoai-gateway:monitoring"] = { alerts: { webhooks: ["https://ops.example.com/hooks/plain"] } };
    expect(actionGroup(await run(config)).secretInputs).toEqual(["webhookReceivers"]);
  });

  it("preview --json shows [secret] for the webhook receivers, never a URL or the ciphertext", () => {
    // In a child process: the program runs once per process (test/cli-preview.test.ts).
    const child = spawnSync(
      process.execPath,
      [join(__dirname, "..", "bin", "aoai-gateway.cjs"), "preview", "--config", SECURE, "--json"],
      { encoding: "utf8" },
    );
    const r = { code: child.status, out: child.stdout };
    const group = (
      JSON.parse(r.out) as { resources: { type: string; inputs: Record<string, unknown> }[] }
    ).resources.find((x) => x.type === "azure-native:monitor:ActionGroup");
    expect([r.code, group?.inputs.webhookReceivers]).toEqual([0, "[secret]"]);
    expect(r.out).not.toContain("hooks/aoai");
    expect(r.out).not.toContain(CIPHERTEXT);
  });
});
