/** Deterministic Azure and APIM names (infra/model/names.ts). */
import { describe, expect, it } from "vitest";
import {
  accountName,
  apimServiceName,
  backendId,
  poolId,
  roleAssignmentName,
  roleDefinitionId,
} from "../infra/model/names";

const SUB_A = "00000000-0000-0000-0000-00000000000a";
const SUB_B = "00000000-0000-0000-0000-00000000000b";

describe("accountName", () => {
  it("is the same for the same inputs", () => {
    expect(accountName("contoso-ai", "hub-swedencentral", SUB_A, "rg")).toBe(
      accountName("contoso-ai", "hub-swedencentral", SUB_A, "rg"),
    );
  });

  it("differs between subscriptions, so two organisations using one gateway name do not collide", () => {
    expect(accountName("contoso-ai", "hub-swedencentral", SUB_A, "rg")).not.toBe(
      accountName("contoso-ai", "hub-swedencentral", SUB_B, "rg"),
    );
  });

  it("clips long names to 64 characters, keeping the hash", () => {
    const name = accountName(
      "abcdefghijklmnopqrst",
      "a-very-long-subscription-alias-australiasoutheast-12",
      SUB_A,
      "rg",
    );
    expect([name.length <= 64, /^[a-z0-9][a-z0-9-]*-[0-9a-f]{8}$/.test(name)]).toEqual([true, true]);
  });
});

describe("apimServiceName", () => {
  it("is the gateway name plus an 8-digit hash of subscription and name", () => {
    expect(apimServiceName("contoso-ai", SUB_A)).toMatch(/^contoso-ai-[0-9a-f]{8}$/);
  });

  it("differs between subscriptions (APIM host names are global)", () => {
    expect(apimServiceName("contoso-ai", SUB_A)).not.toBe(apimServiceName("contoso-ai", SUB_B));
  });
});

describe("role assignment naming", () => {
  it("is a version 5 GUID stable for gateway, account and subscription", () => {
    const name = roleAssignmentName("contoso-ai", "hub-swedencentral", SUB_A);
    expect([
      name === roleAssignmentName("contoso-ai", "hub-swedencentral", SUB_A),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(name),
    ]).toEqual([true, true]);
  });

  it("names the OpenAI User role definition in the scope's subscription", () => {
    expect(roleDefinitionId(SUB_B)).toBe(
      "/subscriptions/00000000-0000-0000-0000-00000000000b/providers/Microsoft.Authorization/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    );
  });
});

describe("backend ids", () => {
  it("names a member backend after its account and deployment, and a pool after its route", () => {
    expect([backendId("hub-swedencentral", "gpt-4o"), poolId("gpt-4.1-mini")]).toEqual([
      "aoai-hub-swedencentral-gpt-4o",
      "pool-gpt-4.1-mini",
    ]);
  });

  it("clips a member backend id over 80 characters and keeps it unique with a hash", () => {
    const deployment = "d".repeat(64);
    const a = backendId("subscription-alias-westeurope", deployment);
    const b = backendId("subscription-alias-westeurope", `${"d".repeat(63)}e`);
    expect([a.length, b.length, a === b, a.startsWith("aoai-subscription-alias-westeurope-ddd")]).toEqual([
      80,
      80,
      false,
      true,
    ]);
  });
});
