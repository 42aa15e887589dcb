/**
 * Issue #12: the log queries of the alerts and the workbook read only columns
 * Microsoft documents for their tables (infra/data/log-schema.json, with its
 * sources), and the workbook is built per stack from its topology.
 */
import { describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig } from "../infra/config/load";
import { type ExampleName, exampleFile } from "./helpers/stacks";
import { validateConfig } from "../infra/config/validate";
import { TIERS } from "../infra/config/schema";
import schema from "../infra/data/log-schema.json";
import {
  type LogQuery,
  type LogTable,
  client429Query,
  latencyQuery,
  llmUsageQuery,
  member429Query,
  memberShareQuery,
  monitoringNames,
  quotaUtilisationQuery,
  serverErrorQuery,
  tokensByConsumerQuery,
  workbookContent,
  workbookPanels,
} from "../infra/model/monitoring";
import { buildTopology, type Topology } from "../infra/model/topology";
import { validRawConfig } from "./helpers/config-fixtures";

function stackTopology(stack: ExampleName, change?: (raw: Record<string, unknown>) => void): Topology {
  const raw = structuredClone(namespaceConfig(readStackConfig(exampleFile(stack))));
  change?.(raw);
  return buildTopology(validateConfig(raw));
}

/**
 * `topology` as if its gateway were Consumption. Validation refuses Consumption today (its 16 KiB policy
 * limit, issue #9), so the Consumption variants of these pure builders are checked on a derived topology.
 */
function asConsumption(topology: Topology): Topology {
  return { ...topology, gateway: { ...topology.gateway, sku: "Consumption", tier: TIERS.Consumption, capacity: 0 } };
}

const TABLES = Object.keys(schema.tables) as LogTable[];

/**
 * The columns a query reads that its table does not document. Columns are the
 * capitalised identifiers outside string literals (KQL functions and operators
 * are lowercase), minus table names and the names the query itself defines
 * (let, assignments, datatable columns, and join's `<name>1` copies of them),
 * and property names after a dot.
 */
function undocumentedColumns(query: LogQuery): string[] {
  const code = query.text.replace(/"[^"]*"/g, '""');
  const defined = new Set<string>([
    ...[...code.matchAll(/\blet\s+([A-Za-z_]\w*)/g)].map((m) => m[1]),
    ...[...code.matchAll(/\b([A-Za-z_]\w*)\s*=(?!=)/g)].map((m) => m[1]),
    ...[...code.matchAll(/\b([A-Za-z_]\w*)\s*:\s*(?:string|real|long|int|datetime|dynamic|bool)\b/g)].map((m) => m[1]),
  ]);
  const columns = new Set<string>(query.tables.flatMap((t) => schema.tables[t].columns));
  // Not after a dot: `parse_url(BackendUrl).Host` reads a property of a value, not a column.
  const read = [...code.matchAll(/(?<![.\w])[A-Z_]\w*\b/g)].map((m) => m[0]);
  return [
    ...new Set(
      read.filter(
        (name) =>
          !columns.has(name) &&
          !defined.has(name) &&
          !(name.endsWith("1") && defined.has(name.slice(0, -1))) &&
          !(TABLES as string[]).includes(name),
      ),
    ),
  ];
}

const prod = stackTopology("prod");
const dev = stackTopology("dev");
const consumptionDev = asConsumption(stackTopology("dev"));

describe("log schema data", () => {
  it("names its source and the date it was read, for every table", () => {
    expect([
      schema.readOn,
      ...TABLES.map((t) => schema.tables[t].source.startsWith("https://learn.microsoft.com/")),
    ]).toEqual(["2026-12-02", true, true, true]);
  });

  it("catches a column the table does not have (the check can fail)", () => {
    const wrong: LogQuery = {
      tables: ["ApiManagementGatewayLogs"],
      text: 'ApiManagementGatewayLogs\n| where StatusCode == 429 and ApiId == "x"\n| extend Share = 1',
    };
    expect(undocumentedColumns(wrong)).toEqual(["StatusCode"]);
  });
});

describe.each([
  ["client 429 alert", client429Query()],
  ["5xx alert", serverErrorQuery()],
  ["quota utilisation alert (prod)", quotaUtilisationQuery(prod) as LogQuery],
  ["quota utilisation alert (dev)", quotaUtilisationQuery(dev) as LogQuery],
  ["tokens per consumer panel", tokensByConsumerQuery()],
  ["429s by member panel", member429Query()],
  ["latency panel", latencyQuery()],
  ["member share panel (prod)", memberShareQuery(prod)],
  ["member share panel (Consumption)", memberShareQuery(consumptionDev)],
  ["quota utilisation alert (Consumption)", quotaUtilisationQuery(consumptionDev) as LogQuery],
  ["LLM log panel", llmUsageQuery()],
])("%s", (_name, query) => {
  it("reads only documented columns of its table", () => {
    expect(undocumentedColumns(query)).toEqual([]);
  });

  it("reads every table it declares", () => {
    expect(query.tables.filter((t) => !query.text.includes(t))).toEqual([]);
  });
});

describe("quota utilisation query", () => {
  it("maps each member of a Standard pool with a known quota (account host, deployment) to its pool and quota (prod)", () => {
    const text = quotaUtilisationQuery(prod)?.text ?? "";
    const rows = [...text.matchAll(/^ {2}"([^"]+)", "([^"]+)", "([^"]+)", ([\d.]+)/gm)].map((m) => m.slice(1));
    // Quotas: the hub override, and the Default offer table in shared/docs/domain-facts.md for the others.
    expect(rows).toEqual([
      [
        "contoso-ai-prod-hub-swedencentral-5c05ad82.openai.azure.com",
        "gpt-4.1-mini",
        "prod-hub/swedencentral/gpt-4.1-mini/GlobalStandard",
        "5000000.0",
      ],
      [
        "contoso-ai-prod-east-eastus2-d59bc2a1.openai.azure.com",
        "gpt-4o",
        "prod-east/eastus2/gpt-4o/GlobalStandard",
        "450000.0",
      ],
      [
        "contoso-ai-prod-east-eastus2-d59bc2a1.openai.azure.com",
        "gpt-4.1-mini",
        "prod-east/eastus2/gpt-4.1-mini/GlobalStandard",
        "5000000.0",
      ],
      [
        "contoso-ai-prod-west-westus3-be76a640.openai.azure.com",
        "gpt-4o",
        "prod-west/westus3/gpt-4o/GlobalStandard",
        "450000.0",
      ],
      [
        "contoso-ai-prod-west-westus3-be76a640.openai.azure.com",
        "gpt-4.1-mini",
        "prod-west/westus3/gpt-4.1-mini/GlobalStandard",
        "5000000.0",
      ],
      [
        "contoso-ai-prod-eu-francecentral-e4b9176d.openai.azure.com",
        "gpt-4o",
        "prod-eu/francecentral/gpt-4o/DataZoneStandard",
        "300000.0",
      ],
      [
        "contoso-ai-prod-eu-francecentral-e4b9176d.openai.azure.com",
        "gpt-4.1-mini",
        "prod-eu/francecentral/gpt-4.1-mini/DataZoneStandard",
        "2000000.0",
      ],
    ]);
  });

  it("leaves out the provisioned pool (quota in PTUs)", () => {
    expect(quotaUtilisationQuery(prod)?.text).not.toContain("ProvisionedManaged");
  });

  it("names members by the gateway log's backend host, so pool mode is covered too", () => {
    expect(quotaUtilisationQuery(prod)?.tables).toEqual(["ApiManagementGatewayLlmLog", "ApiManagementGatewayLogs"]);
  });

  it("reads the token metric's Member dimension on Consumption (no resource logs there)", () => {
    const consumption = asConsumption(stackTopology("dev"));
    const query = quotaUtilisationQuery(consumption) as LogQuery;
    expect([
      query.tables,
      undocumentedColumns(query),
      query.text.split("\n").filter((l) => l.startsWith('  "')),
    ]).toEqual([
      ["AppMetrics"],
      [],
      [
        '  "aoai-dev-hub-swedencentral-gpt-4o", "dev-hub/swedencentral/gpt-4o/GlobalStandard", 450000.0,',
        '  "aoai-dev-hub-swedencentral-gpt-4o-mini", "dev-hub/swedencentral/gpt-4o-mini/GlobalStandard", 2000000.0,',
        '  "aoai-dev-spoke-eastus2-gpt-4o", "dev-spoke/eastus2/gpt-4o/GlobalStandard", 450000.0,',
        '  "aoai-dev-spoke-eastus2-gpt-4o-mini", "dev-spoke/eastus2/gpt-4o-mini/GlobalStandard", 2000000.0',
      ],
    ]);
  });

  it("is null when no pool has a known quota in tokens", () => {
    const raw = validRawConfig();
    raw.subscriptions[0].offer = "MSDN";
    expect(quotaUtilisationQuery(buildTopology(validateConfig(raw)))).toBeNull();
  });
});

describe("workbook", () => {
  it("is valid JSON in the Notebook/1.0 format (invalid serializedData fails to load: Azure/Azure-Sentinel#9289)", () => {
    const content = JSON.parse(workbookContent(prod)) as { version: string; items: unknown[] };
    expect([content.version, content.items.length]).toEqual(["Notebook/1.0", 6]);
  });

  it("names every member of its own stack with its planned share, and no member of another stack", () => {
    const devText = JSON.parse(workbookContent(dev)) as { items: { content: { json?: string } }[] };
    const header = devText.items[0].content.json ?? "";
    expect(header.split("\n").filter((l) => l.startsWith("- "))).toEqual([
      "- **gpt-4o**: aoai-dev-hub-swedencentral-gpt-4o (planned 50%), aoai-dev-spoke-eastus2-gpt-4o (planned 50%)",
      "- **gpt-4o-mini**: aoai-dev-hub-swedencentral-gpt-4o-mini (planned 50%), aoai-dev-spoke-eastus2-gpt-4o-mini (planned 50%)",
    ]);
    expect(workbookContent(dev)).not.toContain("prod-");
  });

  it("carries the planned share of every prod member into the share panel", () => {
    const text = memberShareQuery(prod).text;
    expect(
      prod.routes.flatMap((r) =>
        r.members.map((m) => text.includes(`"${r.name}", "${m.backendId}", ${m.share.toFixed(4)}`)),
      ),
    ).toEqual(Array(8).fill(true));
  });

  it("drops the log-based panels on Consumption and says so", () => {
    const consumption = asConsumption(stackTopology("dev"));
    expect(workbookPanels(consumption).map((p) => p.title)).toEqual([
      "Tokens per consumer and route",
      "Share of tokens per member vs planned share (plan)",
    ]);
    expect(workbookContent(consumption)).toContain("sends no resource logs here");
  });

  it("has a GUID name that is the same on every run (Invalid Workbook resource name: MicrosoftDocs/azure-docs#52844)", () => {
    const name = monitoringNames(dev).workbook;
    expect([name, monitoringNames(stackTopology("dev")).workbook === name]).toEqual([
      expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      true,
    ]);
  });
});
