/**
 * Issue #12: monitoring, alerts and the workbook, from the real program under
 * mocks. Deploy-time failures users report are named in the test titles, with
 * the thread they come from.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MockRunResult } from "../infra/cli/mock-run";
import { T, named, ofType, runStack, stackConfig, withConfig } from "./helpers/program";

const M = {
  workspace: "azure-native:operationalinsights:Workspace",
  appInsights: "azure-native:applicationinsights:Component",
  namedValue: "azure-native:apimanagement:NamedValue",
  logger: "azure-native:apimanagement:Logger",
  apiDiagnostic: "azure-native:apimanagement:ApiDiagnostic",
  setting: "azure-native:monitor:DiagnosticSetting",
  actionGroup: "azure-native:monitor:ActionGroup",
  logAlert: "azure-native:monitor:ScheduledQueryRule",
  metricAlert: "azure-native:monitor:MetricAlert",
  workbook: "azure-native:applicationinsights:Workbook",
} as const;

const PROD_RG = "/subscriptions/00000000-0000-0000-0000-0000000a0001/resourceGroups/contoso-ai-gateway-rg";
const PROD_SERVICE = `${PROD_RG}/providers/Microsoft.ApiManagement/service/contoso-ai-554e8197`;
const PROD_WORKSPACE = `${PROD_RG}/providers/Microsoft.OperationalInsights/workspaces/contoso-ai-logs`;

let prod: MockRunResult;
let dev: MockRunResult;
beforeAll(async () => {
  prod = await runStack(stackConfig("prod"));
  dev = await runStack(stackConfig("dev"));
});

/** Monitoring's resources by kind (the gateway API's own named value, the response seal key of #18, is not monitoring's). */
function countOf(result: MockRunResult): Record<string, number> {
  return Object.fromEntries(
    Object.entries(M).map(([k, type]) => [
      k,
      ofType(result, type).filter((r) => !r.name.endsWith("-response-seal-key")).length,
    ]),
  );
}

// Issue #18: no headers or bodies logged; credential query parameters and headers hidden in what is logged.
const HIDDEN = {
  queryParams: ["subscription-key", "api-key", "key", "code", "sig", "token", "access_token"].map((value) => ({
    value,
    mode: "Hide",
  })),
  headers: ["api-key", "Ocp-Apim-Subscription-Key", "Authorization"].map((value) => ({ value, mode: "Hide" })),
};
const PIPELINE = {
  request: { headers: [], body: { bytes: 0 }, dataMasking: HIDDEN },
  response: { headers: [], body: { bytes: 0 }, dataMasking: HIDDEN },
};
const MASKING = { frontend: PIPELINE, backend: PIPELINE };

const llmDiagnostic = (r: MockRunResult) => named(r, T.generic, "monitoring-api-azuremonitor");

describe("what is deployed", () => {
  it("deploys the full set in prod: workspace, Application Insights, logger, diagnostics, 8 alerts, a workbook", () => {
    expect(countOf(prod)).toEqual({
      workspace: 1,
      appInsights: 1,
      namedValue: 1,
      logger: 1,
      apiDiagnostic: 1,
      setting: 1,
      actionGroup: 1,
      logAlert: 3,
      metricAlert: 4,
      workbook: 1,
    });
  });

  it("deploys one member-429 metric alert per account: 2 in dev", () => {
    expect(countOf(dev)).toEqual({
      workspace: 1,
      appInsights: 1,
      namedValue: 1,
      logger: 1,
      apiDiagnostic: 1,
      setting: 1,
      actionGroup: 1,
      logAlert: 3,
      metricAlert: 2,
      workbook: 1,
    });
  });

  it("deploys nothing of it when aoai-gateway:monitoring.enabled is false", async () => {
    const off = await runStack(withConfig("dev", { monitoring: { enabled: false } }));
    expect([Object.values(countOf(off)).every((n) => n === 0), off.outputs.monitoringResources]).toEqual([true, null]);
  });

  it("keeps monitoring but no alert rule or action group when monitoring.alerts.enabled is false", async () => {
    const quiet = await runStack(withConfig("dev", { monitoring: { alerts: { enabled: false } } }));
    const c = countOf(quiet);
    expect([c.actionGroup, c.logAlert, c.metricAlert, c.logger, c.workbook]).toEqual([0, 0, 0, 1, 1]);
  });

  it("puts every monitoring resource in the gateway subscription except each account's 429 alert", () => {
    const types: string[] = Object.values(M);
    const providers = prod.resources
      .filter((r) => types.includes(r.type) && r.type !== M.metricAlert)
      .map((r) => r.provider);
    expect([...new Set(providers)]).toEqual(["azure-prod-hub"]);
    expect(ofType(prod, M.metricAlert).map((a) => [a.name, a.provider, a.inputs.resourceGroupName])).toEqual([
      ["alerts-prod-hub-swedencentral-429", "azure-prod-hub", "contoso-ai-prod-hub-swedencentral-rg"],
      ["alerts-prod-east-eastus2-429", "azure-prod-east", "contoso-ai-prod-east-eastus2-rg"],
      ["alerts-prod-west-westus3-429", "azure-prod-west", "contoso-ai-prod-west-westus3-rg"],
      ["alerts-prod-eu-francecentral-429", "azure-prod-eu", "contoso-ai-prod-eu-francecentral-rg"],
    ]);
  });

  it("parents the resources to three components: Monitoring, Alerts, GatewayWorkbook", () => {
    expect(prod.resources.filter((r) => r.type.startsWith("aoai-gateway:monitoring:")).map((r) => r.type)).toEqual([
      "aoai-gateway:monitoring:Monitoring",
      "aoai-gateway:monitoring:Alerts",
      "aoai-gateway:monitoring:GatewayWorkbook",
    ]);
  });
});

describe("Log Analytics and Application Insights", () => {
  it("creates a PerGB2018 workspace beside APIM with the configured retention and the stack's tags", () => {
    expect(named(prod, M.workspace, "monitoring-workspace").inputs).toEqual({
      workspaceName: "contoso-ai-logs",
      resourceGroupName: "contoso-ai-gateway-rg",
      location: "swedencentral",
      sku: { name: "PerGB2018" },
      retentionInDays: 30,
      tags: { environment: "prod", owner: "platform-team" },
    });
  });

  it("creates a workspace-based Application Insights in that workspace", () => {
    expect(named(prod, M.appInsights, "monitoring-appinsights").inputs).toMatchObject({
      resourceName: "contoso-ai-appi",
      kind: "web",
      applicationType: "web",
      ingestionMode: "LogAnalytics",
      workspaceResourceId: PROD_WORKSPACE,
    });
  });

  it("uses an existing workspace and Application Insights by id instead of creating them", async () => {
    const ws =
      "/subscriptions/00000000-0000-0000-0000-00000000d001/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/central";
    const ai =
      "/subscriptions/00000000-0000-0000-0000-00000000d001/resourceGroups/ops/providers/Microsoft.Insights/components/central-ai";
    const result = await runStack(withConfig("dev", { monitoring: { workspaceId: ws, appInsightsId: ai } }));
    expect([
      ofType(result, M.workspace).length,
      named(result, M.setting, "monitoring-diagnostic-setting").inputs.workspaceId,
      named(result, M.logger, "monitoring-logger").inputs.resourceId,
      named(result, M.workbook, "workbook-workbook").inputs.sourceId,
    ]).toEqual([0, ws, ai, ws]);
  });
});

describe("APIM logger and diagnostics", () => {
  it("keeps the connection string in a secret named value with a fixed id (no Logger-Credentials-- copies per deploy: Azure/azure-powershell#12228)", () => {
    const nv = named(prod, M.namedValue, "monitoring-connection-string");
    expect([nv.inputs.namedValueId, nv.inputs.displayName, nv.inputs.secret]).toEqual([
      "aoai-gateway-appinsights-connection-string",
      "aoai-gateway-appinsights-connection-string",
      true,
    ]);
  });

  it("references the named value by name in {{ }} and waits for it (else 'Invalid instrumentation key': Azure/apiops#101, #321)", () => {
    const logger = named(prod, M.logger, "monitoring-logger");
    expect([logger.inputs.loggerType, logger.inputs.credentials, logger.dependsOn]).toEqual([
      "applicationInsights",
      { connectionString: "{{aoai-gateway-appinsights-connection-string}}" },
      ["monitoring-connection-string"],
    ]);
  });

  it("sets the API's Application Insights diagnostic with custom metrics on (the token metric needs them) and the configured sampling", () => {
    expect(named(prod, M.apiDiagnostic, "monitoring-api-appinsights").inputs).toEqual({
      resourceGroupName: "contoso-ai-gateway-rg",
      serviceName: "contoso-ai-554e8197",
      apiId: "azure-openai",
      diagnosticId: "applicationinsights",
      loggerId: `${PROD_SERVICE}/loggers/aoai-gateway-appinsights`,
      alwaysLog: "allErrors",
      httpCorrelationProtocol: "W3C",
      verbosity: "information",
      logClientIp: false,
      metrics: true,
      sampling: { samplingType: "fixed", percentage: 100 },
      ...MASKING,
    });
  });

  it("sends GatewayLogs and GatewayLlmLogs to resource-specific tables, metrics only as AllMetrics ('Metric category ... is not supported': Azure/Enterprise-Scale#457)", () => {
    expect(named(prod, M.setting, "monitoring-diagnostic-setting").inputs).toEqual({
      name: "aoai-gateway-logs",
      resourceUri: PROD_SERVICE,
      workspaceId: PROD_WORKSPACE,
      logAnalyticsDestinationType: "Dedicated",
      logs: [
        { category: "GatewayLogs", enabled: true },
        { category: "GatewayLlmLogs", enabled: true },
      ],
      metrics: [{ category: "AllMetrics", enabled: true }],
    });
  });

  it("names log categories explicitly, never a categoryGroup (allLogs is refused in some clouds: Azure/avdaccelerator#685)", () => {
    const logs = named(prod, M.setting, "monitoring-diagnostic-setting").inputs.logs as Record<string, unknown>[];
    expect(logs.filter((l) => "categoryGroup" in l)).toEqual([]);
  });

  it("logs LLM token usage but no prompts or completions by default, at API version 2024-06-01-preview", () => {
    const d = llmDiagnostic(prod);
    expect([d.inputs.apiVersion, d.inputs.parentResourcePath, d.inputs.resourceName, d.inputs.properties]).toEqual([
      "2024-06-01-preview",
      "service/contoso-ai-554e8197/apis/azure-openai",
      "azuremonitor",
      {
        loggerId: `${PROD_SERVICE}/loggers/azuremonitor`,
        alwaysLog: "allErrors",
        logClientIp: false,
        sampling: { samplingType: "fixed", percentage: 100 },
        ...MASKING,
        largeLanguageModel: {
          logs: "enabled",
          requests: { messages: "none", maxSizeInBytes: 32768 },
          responses: { messages: "none", maxSizeInBytes: 32768 },
        },
      },
    ]);
  });

  it("hides credential query parameters and headers in both diagnostics, on the frontend and the backend side", () => {
    const appInsights = named(prod, M.apiDiagnostic, "monitoring-api-appinsights").inputs;
    const azureMonitor = llmDiagnostic(prod).inputs.properties as Record<string, unknown>;
    expect([appInsights.frontend, appInsights.backend, azureMonitor.frontend, azureMonitor.backend]).toEqual([
      PIPELINE,
      PIPELINE,
      PIPELINE,
      PIPELINE,
    ]);
  });

  it("logs prompts and completions only when configured, with the configured size", async () => {
    const result = await runStack(
      withConfig("dev", {
        monitoring: { llmLogs: { logPrompts: true, logCompletions: true, maxMessageBytes: 65536 } },
      }),
    );
    expect((llmDiagnostic(result).inputs.properties as Record<string, unknown>).largeLanguageModel).toEqual({
      logs: "enabled",
      requests: { messages: "all", maxSizeInBytes: 65536 },
      responses: { messages: "all", maxSizeInBytes: 65536 },
    });
  });
});

describe("alerts", () => {
  it("notifies the configured emails and webhooks through one action group, common alert schema", async () => {
    const result = await runStack(
      withConfig("dev", {
        monitoring: { alerts: { emails: ["ops@contoso.com"], webhooks: ["https://hooks.contoso.com/aoai"] } },
      }),
    );
    const group = named(result, M.actionGroup, "alerts-action-group").inputs;
    expect([group.actionGroupName, group.groupShortName, group.emailReceivers, group.webhookReceivers]).toEqual([
      "contoso-ai-dev-alerts",
      "contoso-ai-d",
      [{ name: "email-0", emailAddress: "ops@contoso.com", useCommonAlertSchema: true }],
      [{ name: "webhook-0", serviceUri: "https://hooks.contoso.com/aoai", useCommonAlertSchema: true }],
    ]);
  });

  it("alerts on the client 429 share over the configured threshold and window, on the workspace", async () => {
    const result = await runStack(
      withConfig("dev", { monitoring: { alerts: { client429Percent: 2, windowMinutes: 15 } } }),
    );
    const rule = named(result, M.logAlert, "alerts-client-429").inputs;
    const criteria = (rule.criteria as { allOf: Record<string, unknown>[] }).allOf[0];
    expect([
      rule.windowSize,
      rule.evaluationFrequency,
      rule.kind,
      (rule.scopes as string[])[0].endsWith("/workspaces/contoso-ai-dev-logs"),
      criteria.metricMeasureColumn,
      criteria.operator,
      criteria.threshold,
    ]).toEqual(["PT15M", "PT15M", "LogAlert", true, "ThrottledPercent", "GreaterThan", 2]);
  });

  it("alerts on the 5xx share with its default of 5%", () => {
    const criteria = (
      named(prod, M.logAlert, "alerts-server-errors").inputs.criteria as { allOf: Record<string, unknown>[] }
    ).allOf[0];
    expect([criteria.metricMeasureColumn, criteria.threshold]).toEqual(["FailedPercent", 5]);
  });

  it("alerts per quota pool at 80% by default, split by pool", () => {
    const criteria = (
      named(prod, M.logAlert, "alerts-quota-utilisation").inputs.criteria as { allOf: Record<string, unknown>[] }
    ).allOf[0];
    expect([criteria.metricMeasureColumn, criteria.threshold, criteria.dimensions]).toEqual([
      "UtilisationPercent",
      80,
      [{ name: "Pool", operator: "Include", values: ["*"] }],
    ]);
  });

  it("watches quota through a log alert, not a metric alert on the custom token metric, which does not exist yet at deploy time (MicrosoftDocs/azure-docs#16061, Azure/azure-cli#19907)", () => {
    const metricNames = ofType(prod, M.metricAlert).flatMap((a) =>
      (a.inputs.criteria as { allOf: { metricName: string }[] }).allOf.map((c) => c.metricName),
    );
    expect([...new Set(metricNames)]).toEqual(["AzureOpenAIRequests"]);
  });

  it("alerts on each account's own 429s per deployment (the platform metric, namespace Microsoft.CognitiveServices/accounts)", () => {
    const alert = named(prod, M.metricAlert, "alerts-prod-east-eastus2-429").inputs;
    expect([alert.scopes, alert.criteria]).toEqual([
      [
        "/subscriptions/00000000-0000-0000-0000-0000000a0002/resourceGroups/contoso-ai-prod-east-eastus2-rg/providers/Microsoft.CognitiveServices/accounts/contoso-ai-prod-east-eastus2-d59bc2a1",
      ],
      {
        odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
        allOf: [
          {
            criterionType: "StaticThresholdCriterion",
            name: "member-429",
            metricNamespace: "Microsoft.CognitiveServices/accounts",
            metricName: "AzureOpenAIRequests",
            timeAggregation: "Total",
            operator: "GreaterThan",
            threshold: 10,
            dimensions: [
              { name: "StatusCode", operator: "Include", values: ["429"] },
              { name: "ModelDeploymentName", operator: "Include", values: ["*"] },
            ],
          },
        ],
      },
    ]);
  });

  it("sends every rule to the action group", () => {
    const group = `${PROD_RG}/providers/Microsoft.Insights/actionGroups/contoso-ai-alerts`;
    expect([
      ...ofType(prod, M.logAlert).map((a) => (a.inputs.actions as { actionGroups: string[] }).actionGroups),
      ...ofType(prod, M.metricAlert).map((a) =>
        (a.inputs.actions as { actionGroupId: string }[]).map((x) => x.actionGroupId),
      ),
    ]).toEqual(Array(7).fill([group]));
  });
});

describe("workbook", () => {
  it("is a shared workbook on the workspace with a GUID name and valid JSON content naming prod's members", () => {
    const wb = named(prod, M.workbook, "workbook-workbook").inputs;
    const content = JSON.parse(String(wb.serializedData)) as { items: { content: { json?: string } }[] };
    expect([
      wb.kind,
      wb.category,
      wb.displayName,
      wb.sourceId,
      /^[0-9a-f-]{36}$/.test(String(wb.resourceName)),
      content.items[0].content.json?.includes("aoai-prod-eu-francecentral-gpt-4o"),
    ]).toEqual(["shared", "workbook", "aoai-gateway contoso-ai", PROD_WORKSPACE, true, true]);
  });
});

describe("client auth and the API", () => {
  const entra = {
    tenantId: "11111111-1111-1111-1111-111111111111",
    audiences: ["api://contoso-ai-gateway"],
    clientAppIds: ["22222222-2222-2222-2222-222222222222"],
  };

  it("requires no subscription key on the API when clientAuth.mode is entra-only", async () => {
    const result = await runStack(withConfig("dev", { clientAuth: { mode: "entra-only", ...entra } }));
    expect(named(result, T.api, "api-api").inputs.subscriptionRequired).toBe(false);
  });

  it("still requires the subscription key with key-and-entra", async () => {
    const result = await runStack(withConfig("dev", { clientAuth: { mode: "key-and-entra", ...entra } }));
    expect(named(result, T.api, "api-api").inputs.subscriptionRequired).toBe(true);
  });
});
