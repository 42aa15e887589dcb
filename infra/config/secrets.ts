/**
 * Secrets in stack config (issue #17). Pure: no Pulumi.
 *
 * A value that can carry a credential is declared with `secretCapable` (schema.ts) and listed in
 * SECRET_CAPABLE_KEYS (found in the schema). The stack file may hold it as a Pulumi secret (`secure: v1:...`, what
 * `pulumi config set --path --secret` writes); the offline CLI cannot decrypt it and shows `[secret]`,
 * the engine passes it decrypted and the program keeps it a Pulumi secret. A plain-text value that looks
 * like a credential is warned about here, by key path, without ever repeating the value.
 */
import { z } from "zod";
import { RootSchema, SecureValueSchema, isEncrypted } from "./schema";
import { type ValidConfig, keyPath } from "./validate";

type PathPart = string | number;

/**
 * Paths (schema form, `a.b[]`) of every key built with `secretCapable`, found in the schema itself so a
 * new secret-capable key is checked without being listed anywhere else.
 */
export function secretCapableKeys(schema: z.ZodType = RootSchema, prefix = ""): string[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
    return secretCapableKeys(schema.unwrap() as z.ZodType, prefix);
  }
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
      secretCapableKeys(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  if (schema instanceof z.ZodArray) return secretCapableKeys(schema.element as z.ZodType, `${prefix}[]`);
  if (schema instanceof z.ZodUnion && (schema.options as readonly z.ZodType[]).includes(SecureValueSchema)) {
    return [prefix];
  }
  return [];
}

export const SECRET_CAPABLE_KEYS: readonly string[] = secretCapableKeys();

/** Every value at a schema path such as `monitoring.alerts.webhooks[]`, with its concrete path. */
export function valuesAt(root: unknown, schemaPath: string): { path: PathPart[]; value: unknown }[] {
  let found: { path: PathPart[]; value: unknown }[] = [{ path: [], value: root }];
  for (const segment of schemaPath.split(".")) {
    const list = segment.endsWith("[]");
    const key = list ? segment.slice(0, -2) : segment;
    found = found.flatMap(({ path, value }) => {
      const child =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? (value as Record<string, unknown>)[key]
          : undefined;
      if (child === undefined) return [];
      if (!list) return [{ path: [...path, key], value: child }];
      return Array.isArray(child) ? (child as unknown[]).map((v, i) => ({ path: [...path, key, i], value: v })) : [];
    });
  }
  return found;
}

/** Query parameter names that carry a credential in common webhook URLs (Azure Functions `code`, Logic Apps `sig`, SAS, ...). */
const CREDENTIAL_PARAM_EXACT = /^(code|sig|signature|pwd|auth)$/i;
const CREDENTIAL_PARAM_PART = /(token|key|secret|password|passwd|credential)/i;
/** Hosts whose webhook URLs are themselves the credential (the path holds the token). */
const CREDENTIAL_HOSTS = [/^hooks\.slack\.com$/i, /\.webhook\.office\.com$/i, /^(discord|discordapp)\.com$/i];

/** Why a URL looks like it carries a credential, or undefined. Never returns the credential itself. */
export function credentialIn(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "") return "a user name or password before the host";
  const params = [...new Set([...url.searchParams.keys()])].filter(
    (k) => CREDENTIAL_PARAM_EXACT.test(k) || CREDENTIAL_PARAM_PART.test(k),
  );
  if (params.length > 0) {
    return `query parameter${params.length === 1 ? "" : "s"} ${params.map((p) => JSON.stringify(p)).join(", ")}`;
  }
  if (CREDENTIAL_HOSTS.some((h) => h.test(url.hostname)))
    return `a ${url.hostname} webhook path (the path is the token)`;
  return undefined;
}

/** Plain-text values of secret-capable keys that look like credentials: one warning each, naming the key and the command. */
export function plainCredentialWarnings(config: ValidConfig): string[] {
  return SECRET_CAPABLE_KEYS.flatMap((schemaPath) =>
    valuesAt(config, schemaPath).flatMap(({ path, value }) => {
      if (typeof value !== "string") return [];
      const why = credentialIn(value);
      if (why === undefined) return [];
      const key = keyPath(path);
      return [
        `${key}: plain text that carries a credential (${why}), readable by anyone who can read the stack file; store it as a Pulumi secret: pulumi config set --path --secret '${key}' '<the URL>' (the stack file then holds secure: v1:...)`,
      ];
    }),
  );
}

/** Does a config value hold a `secure:` leaf anywhere? */
export function holdsSecret(value: unknown): boolean {
  if (isEncrypted(value)) return true;
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsSecret);
  return false;
}

/**
 * The keys of a stack file's config map the engine treats as secret: a key whose value is or holds a
 * `secure:` leaf (the engine decrypts the leaves and marks the whole top-level key secret).
 */
export function secretConfigKeys(all: Record<string, unknown>): string[] {
  return Object.entries(all)
    .filter(([, v]) => holdsSecret(v))
    .map(([k]) => k)
    .sort();
}
