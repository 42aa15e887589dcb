/**
 * What a stack monitors (issue #12): names, the log queries its alerts and
 * workbook run, and the workbook itself, all derived from the topology.
 * Pure: no Pulumi, no Azure; the components in infra/components map this onto
 * resources, and the tests check every query against the documented log
 * schema (infra/data/log-schema.json).
 */
import { v5 as uuidv5 } from "uuid";
import { API_ID } from "./names";
import type { RouteMember, Topology } from "./topology";

/** Names of the monitoring resources; deterministic, so a second `pulumi up` renames nothing. */
export interface MonitoringNames {
  readonly workspace: string;
  readonly appInsights: string;
  /** APIM named value holding the Application Insights connection string (secret). */
  readonly connectionStringNamedValue: string;
  readonly logger: string;
  readonly diagnosticSetting: string;
  readonly actionGroup: string;
  /** Action groups have a 1-12 character short name used in emails and SMS. */
  readonly actionGroupShortName: string;
  /**
   * Workbook resource names must be GUIDs ("Invalid Workbook resource name",
   * MicrosoftDocs/azure-docs#52844); a new GUID per run would create a second
   * workbook with the same display name, so it is a v5 UUID of the gateway.
   */
  readonly workbook: string;
  readonly workbookDisplayName: string;
}

const WORKBOOK_NAMESPACE = "2f0b5d1e-7c39-4c1a-9a0e-5d3e8b6f4a12";

export function monitoringNames(topology: Topology): MonitoringNames {
  const g = topology.gateway.name;
  return {
    workspace: `${g}-logs`,
    appInsights: `${g}-appi`,
    connectionStringNamedValue: "aoai-gateway-appinsights-connection-string",
    logger: "aoai-gateway-appinsights",
    diagnosticSetting: "aoai-gateway-logs",
    actionGroup: `${g}-alerts`,
    actionGroupShortName: g.slice(0, 12).replace(/-+$/, ""),
    workbook: uuidv5(`${topology.gateway.subscription.id}|${g}|workbook`, WORKBOOK_NAMESPACE),
    workbookDisplayName: `aoai-gateway ${g}`,
  };
}

/** The names APIM's token metric policy gives its metrics (Microsoft Learn, azure-openai-emit-token-metric). */
export const TOKEN_METRICS = {
  total: "Total Tokens",
  prompt: "Prompt Tokens",
  completion: "Completion Tokens",
} as const;

/** A log query and the tables it reads; the tests check every column it names against the documented schemas. */
export interface LogQuery {
  readonly tables: readonly LogTable[];
  readonly text: string;
}

export type LogTable = "ApiManagementGatewayLogs" | "ApiManagementGatewayLlmLog" | "AppMetrics";

/** Requests to this gateway's API (every alert and panel filters on it: a workspace may hold other APIs). */
const GATEWAY_REQUESTS = `ApiManagementGatewayLogs
| where ApiId == "${API_ID}"`;

/** Share of client requests answered 429, percent, per evaluation window. */
export function client429Query(): LogQuery {
  return {
    tables: ["ApiManagementGatewayLogs"],
    text: `${GATEWAY_REQUESTS}
| summarize Requests = count(), Throttled = countif(ResponseCode == 429)
| extend ThrottledPercent = iff(Requests == 0, 0.0, 100.0 * Throttled / Requests)`,
  };
}

/** Share of client requests answered 5xx, percent. */
export function serverErrorQuery(): LogQuery {
  return {
    tables: ["ApiManagementGatewayLogs"],
    text: `${GATEWAY_REQUESTS}
| summarize Requests = count(), Failed = countif(ResponseCode >= 500)
| extend FailedPercent = iff(Requests == 0, 0.0, 100.0 * Failed / Requests)`,
  };
}

/** A Standard-family pool with a known quota in tokens, and the members that draw from it. */
interface MeteredPool {
  readonly name: string;
  readonly quotaTpm: number;
  readonly members: readonly RouteMember[];
}

function meteredPools(topology: Topology): MeteredPool[] {
  return topology.quotaPools
    .filter((pool) => pool.unit === "TPM" && pool.quota !== null && pool.quota > 0)
    .map((pool) => ({
      name: `${pool.subscription.alias}/${pool.location}/${pool.model}/${pool.sku}`,
      quotaTpm: pool.quota ?? 0,
      members: topology.routes
        .flatMap((r) => r.members)
        .filter(
          (m) =>
            m.subscription.alias === pool.subscription.alias &&
            m.location === pool.location &&
            m.deployment.model === pool.model &&
            m.deployment.sku === pool.sku,
        ),
    }));
}

/**
 * Peak tokens per minute in each Standard-family quota pool as a share of the
 * pool's quota. Pools with an unknown quota, and provisioned pools (quota in
 * PTUs, not tokens), are left out; null when no pool qualifies.
 *
 * Where the tier sends resource logs, the tokens come from APIM's LLM log and
 * the member from the gateway log of the same request (the account host of
 * BackendUrl, and the deployment): that names the member in pool mode too,
 * whatever the token metric's dimensions say. A request's usage is counted
 * once (max over its LLM log entries, which split large messages). Without
 * resource logs (Consumption) it reads the token metric's dimensions.
 */
export function quotaUtilisationQuery(topology: Topology): LogQuery | null {
  const pools = meteredPools(topology);
  if (pools.length === 0) return null;
  const tail = `| summarize TokensPerMinute = sum(Tokens) by Pool, QuotaTpm, bin(TimeGenerated, 1m)
| summarize PeakTokensPerMinute = max(TokensPerMinute) by Pool, QuotaTpm
| extend UtilisationPercent = 100.0 * PeakTokensPerMinute / QuotaTpm`;
  if (topology.gateway.tier.azureMonitorLogs) {
    const rows = pools.flatMap((pool) =>
      pool.members.map(
        (m) => `  "${new URL(m.accountEndpoint).host}", "${m.deployment.name}", "${pool.name}", ${pool.quotaTpm}.0`,
      ),
    );
    return {
      tables: ["ApiManagementGatewayLlmLog", "ApiManagementGatewayLogs"],
      text: `let Members = datatable(Host: string, Deployment: string, Pool: string, QuotaTpm: real) [
${rows.join(",\n")}
];
ApiManagementGatewayLlmLog
| summarize Tokens = max(TotalTokens), TimeGenerated = min(TimeGenerated) by CorrelationId, Deployment = DeploymentName
| join kind=inner (${GATEWAY_REQUESTS.replace("\n", " ")} | project CorrelationId, Host = tostring(parse_url(BackendUrl).Host)) on CorrelationId
| join kind=inner Members on Host, Deployment
${tail}`,
    };
  }
  const rows = pools.flatMap((pool) =>
    pool.members.map((m) => `  "${m.backendId}", "${pool.name}", ${pool.quotaTpm}.0`),
  );
  return {
    tables: ["AppMetrics"],
    text: `let Members = datatable(Member: string, Pool: string, QuotaTpm: real) [
${rows.join(",\n")}
];
AppMetrics
| where Name == "${TOKEN_METRICS.total}"
| extend Member = tostring(Properties["Member"]), Tokens = Sum
| join kind=inner Members on Member
${tail}`,
  };
}

/** Workbook panels: tokens per consumer and route over time. */
export function tokensByConsumerQuery(): LogQuery {
  return {
    tables: ["AppMetrics"],
    text: `AppMetrics
| where Name == "${TOKEN_METRICS.total}"
| extend Consumer = tostring(Properties["Consumer"]), Route = tostring(Properties["Route"])
| summarize Tokens = sum(Sum) by Series = strcat(Consumer, " / ", Route), bin(TimeGenerated, 5m)
| render timechart`,
  };
}

/** 429s each member returned to the gateway (LLM-facing backend answer, before any failover). */
export function member429Query(): LogQuery {
  return {
    tables: ["ApiManagementGatewayLogs"],
    text: `${GATEWAY_REQUESTS}
| where BackendResponseCode == 429
| summarize Throttled = count() by Backend = strcat(BackendId, " ", tostring(parse_url(BackendUrl).Host)), bin(TimeGenerated, 5m)
| render timechart`,
  };
}

/** Client-side latency percentiles of the gateway and of its backends. */
export function latencyQuery(): LogQuery {
  return {
    tables: ["ApiManagementGatewayLogs"],
    text: `${GATEWAY_REQUESTS}
| summarize GatewayP50 = percentile(TotalTime, 50), GatewayP95 = percentile(TotalTime, 95), BackendP95 = percentile(BackendTime, 95) by bin(TimeGenerated, 5m)
| render timechart`,
  };
}

/**
 * Each member's share of its route's tokens against the share `plan` expects
 * while nothing is throttled. Where the tier sends resource logs, the member
 * of each request comes from the gateway log (account host of BackendUrl and
 * deployment), so pool mode is covered; on Consumption from the token
 * metric's Member dimension ("pool" when the policy could not name it).
 */
export function memberShareQuery(topology: Topology): LogQuery {
  const share = (m: RouteMember) => m.share.toFixed(4);
  const tail = `| join kind=leftouter (Served | summarize RouteTokens = sum(Tokens) by Route) on Route
| join kind=fullouter Planned on Route, Member
| project Route = coalesce(Route, Route1), Member = coalesce(Member, Member1), ActualShare = round(todouble(Tokens) / todouble(RouteTokens), 4), PlannedShare
| order by Route asc, Member asc`;
  if (topology.gateway.tier.azureMonitorLogs) {
    const rows = topology.routes.flatMap((r) =>
      r.members.map(
        (m) =>
          `  "${new URL(m.accountEndpoint).host}", "${m.deployment.name}", "${r.name}", "${m.backendId}", ${share(m)}`,
      ),
    );
    return {
      tables: ["ApiManagementGatewayLlmLog", "ApiManagementGatewayLogs"],
      text: `let Planned = datatable(Host: string, Deployment: string, Route: string, Member: string, PlannedShare: real) [
${rows.join(",\n")}
];
let Served = ApiManagementGatewayLlmLog
| summarize Tokens = max(TotalTokens) by CorrelationId, Deployment = DeploymentName
| join kind=inner (${GATEWAY_REQUESTS.replace("\n", " ")} | project CorrelationId, Host = tostring(parse_url(BackendUrl).Host)) on CorrelationId
| join kind=inner (Planned | project Host, Deployment, Route, Member) on Host, Deployment
| project Route, Member, Tokens;
Served
| summarize Tokens = sum(Tokens) by Route, Member
${tail}`,
    };
  }
  const rows = topology.routes.flatMap((r) => r.members.map((m) => `  "${r.name}", "${m.backendId}", ${share(m)}`));
  return {
    tables: ["AppMetrics"],
    text: `let Planned = datatable(Route: string, Member: string, PlannedShare: real) [
${rows.join(",\n")}
];
let Served = AppMetrics
| where Name == "${TOKEN_METRICS.total}"
| project Route = tostring(Properties["Route"]), Member = tostring(Properties["Member"]), Tokens = Sum;
Served
| summarize Tokens = sum(Tokens) by Route, Member
${tail}`,
  };
}

/** Token usage per deployment and model from APIM's LLM log (not on Consumption). */
export function llmUsageQuery(): LogQuery {
  return {
    tables: ["ApiManagementGatewayLlmLog"],
    // One request can have several entries (large messages are split); count its usage once.
    text: `ApiManagementGatewayLlmLog
| summarize PromptTokens = max(PromptTokens), CompletionTokens = max(CompletionTokens), TotalTokens = max(TotalTokens), Streamed = max(toint(IsStreamCompletion)) by CorrelationId, DeploymentName, ModelName
| summarize Requests = count(), PromptTokens = sum(PromptTokens), CompletionTokens = sum(CompletionTokens), TotalTokens = sum(TotalTokens), Streamed = sum(Streamed) by DeploymentName, ModelName
| order by TotalTokens desc`,
  };
}

export interface WorkbookPanel {
  readonly title: string;
  readonly query: LogQuery;
  /** Workbook visualization. */
  readonly visualization: "timechart" | "table";
}

/** The panels a stack's workbook shows; the log-based ones only where the tier sends resource logs. */
export function workbookPanels(topology: Topology): WorkbookPanel[] {
  const logs = topology.gateway.tier.azureMonitorLogs;
  return [
    { title: "Tokens per consumer and route", query: tokensByConsumerQuery(), visualization: "timechart" },
    {
      title: "Share of tokens per member vs planned share (plan)",
      query: memberShareQuery(topology),
      visualization: "table",
    },
    ...(logs
      ? ([
          { title: "429s by member", query: member429Query(), visualization: "timechart" },
          { title: "Latency (ms)", query: latencyQuery(), visualization: "timechart" },
          {
            title: "Tokens per deployment (APIM LLM log)",
            query: llmUsageQuery(),
            visualization: "table",
          },
        ] satisfies WorkbookPanel[])
      : []),
  ];
}

/**
 * The workbook's serializedData: Azure Workbooks' "Notebook/1.0" document
 * (one markdown header and one KQL item per panel), as JSON text. It must be
 * valid JSON or the portal shows "The workbook content failed to load"
 * (Azure/Microsoft-Defender-for-Cloud#256; Azure/Azure-Sentinel#9289 added a
 * JSON check for the same reason).
 */
export function workbookContent(topology: Topology): string {
  const members = topology.routes
    .map(
      (r) =>
        `- **${r.name}**: ${r.members.map((m) => `${m.backendId} (planned ${Math.round(m.share * 100)}%)`).join(", ")}`,
    )
    .join("\n");
  const dropped = topology.gateway.tier.azureMonitorLogs
    ? ""
    : `\n\nTier ${topology.gateway.sku} sends no resource logs here, so the 429, latency and LLM-log panels are left out.`;
  const items: unknown[] = [
    {
      type: 1,
      content: {
        json: `## aoai-gateway ${topology.gateway.name}\n\nRoutes and members (${topology.routingMode} mode):\n${members}${dropped}`,
      },
      name: "header",
    },
    ...workbookPanels(topology).map((panel, i) => ({
      type: 3,
      content: {
        version: "KqlItem/1.0",
        query: panel.query.text,
        size: 0,
        title: panel.title,
        timeContext: { durationMs: 86400000 },
        queryType: 0,
        resourceType: "microsoft.operationalinsights/workspaces",
        visualization: panel.visualization,
      },
      name: `panel-${i}`,
    })),
  ];
  return JSON.stringify({ version: "Notebook/1.0", items, isLocked: false });
}
