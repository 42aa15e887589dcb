/**
 * Telemetry of the gateway (issue #12), in the gateway subscription beside
 * APIM: a Log Analytics workspace and a workspace-based Application Insights
 * (or existing ones by id from `aoai-gateway:monitoring`), APIM's Application
 * Insights logger and API diagnostic (custom metrics on, for the token metric
 * policy), and, on tiers that send resource logs, the API's Azure Monitor
 * diagnostic with LLM message logging and APIM's diagnostic setting to the
 * workspace.
 *
 * Shaped by deploy-time failures users report:
 * - The logger's credentials reference a named value by name in `{{ }}`;
 *   anything else is rejected as "Invalid instrumentation key"
 *   (Azure/apiops#101, #321). The named value is ours, with a fixed id, so
 *   redeploys do not pile up `Logger-Credentials--<id>` copies
 *   (Azure/azure-powershell#12228), and secret, so the connection string is
 *   not shown in APIM.
 * - APIM's diagnostic setting accepts only the metric category AllMetrics
 *   ("Metric category 'Gateway Requests' is not supported",
 *   Azure/Enterprise-Scale#457) and explicit log categories (categoryGroup
 *   allLogs is refused in some clouds, Azure/avdaccelerator#685).
 * - Resource-specific tables (ApiManagementGatewayLogs,
 *   ApiManagementGatewayLlmLog), which the alerts and workbook query, need
 *   logAnalyticsDestinationType Dedicated; the default writes AzureDiagnostics.
 * - LLM message logging is the `largeLanguageModel` property of the API's
 *   `azuremonitor` diagnostic, first in Microsoft.ApiManagement
 *   2024-06-01-preview; the SDK's ApiDiagnostic is 2024-05-01, so that one
 *   diagnostic is a generic ARM resource pinned to the preview version.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { monitoringNames } from "../model/monitoring";
import type { Topology } from "../model/topology";

/** Query parameters that can carry a credential: hidden in every logged URL (issue #18). */
export const MASKED_QUERY_PARAMS = [
  "subscription-key",
  "api-key",
  "key",
  "code",
  "sig",
  "token",
  "access_token",
] as const;

/** Request headers that carry credentials: hidden should any diagnostic ever log headers (issue #18). */
export const MASKED_HEADERS = ["api-key", "Ocp-Apim-Subscription-Key", "Authorization"] as const;

/**
 * The frontend and backend settings of an API diagnostic (ARM names; issue #18): no headers and no bodies
 * logged, and `dataMasking` hiding credential query parameters and headers. APIM logs every request's URL,
 * query string included, so a key sent as `?subscription-key=` (refused by the policy, but logged before)
 * would reach ApiManagementGatewayLogs and Application Insights without it.
 */
export function diagnosticMasking() {
  const dataMasking = {
    queryParams: MASKED_QUERY_PARAMS.map((value) => ({ value, mode: "Hide" })),
    headers: MASKED_HEADERS.map((value) => ({ value, mode: "Hide" })),
  };
  const pipeline = {
    request: { headers: [], body: { bytes: 0 }, dataMasking },
    response: { headers: [], body: { bytes: 0 }, dataMasking },
  };
  return { frontend: pipeline, backend: pipeline };
}

/** First Microsoft.ApiManagement API version with `largeLanguageModel` on API diagnostics. */
export const LLM_DIAGNOSTIC_API_VERSION = "2024-06-01-preview";

export interface MonitoringArgs {
  /** Required. The stack's topology (monitoring config, gateway tier and names). */
  readonly topology: Topology;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Required. The APIM service: name, ARM id and resource group (monitoring resources go there too). */
  readonly serviceName: pulumi.Input<string>;
  readonly serviceId: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The API whose diagnostics to set (its id output, so they wait for the API). */
  readonly apiName: pulumi.Input<string>;
  /** Optional. Tags for the workspace and Application Insights. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Optional. A further v2 gateway region (issue #22): it sends to the primary's workspace and Application
   * Insights, so only its logger, diagnostics and diagnostic setting are created. Default: none (the primary).
   */
  readonly shared?: SharedTelemetry;
}

/** The workspace and Application Insights every gateway region reports to. */
export interface SharedTelemetry {
  readonly workspaceId: pulumi.Input<string>;
  readonly appInsightsId: pulumi.Input<string>;
  readonly connectionString: pulumi.Input<string>;
}

export class Monitoring extends pulumi.ComponentResource {
  /** ARM id of the Log Analytics workspace (created or existing). */
  public readonly workspaceId: pulumi.Output<string>;
  /** ARM id of the Application Insights component (created or existing). */
  public readonly appInsightsId: pulumi.Output<string>;
  /** The Application Insights connection string (secret), for further gateway regions. */
  public readonly connectionString: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:monitoring:Monitoring", name, {}, opts);
    const { topology, provider } = args;
    const { monitoring, gateway } = topology;
    const names = monitoringNames(topology);
    const child = { parent: this, provider };
    const tags = { ...(args.tags ?? {}) };
    const service = { serviceName: args.serviceName, resourceGroupName: args.resourceGroupName };

    this.workspaceId =
      args.shared !== undefined
        ? pulumi.output(args.shared.workspaceId)
        : monitoring.workspaceId !== undefined
          ? pulumi.output(monitoring.workspaceId)
          : new azure.operationalinsights.Workspace(
              `${name}-workspace`,
              {
                workspaceName: names.workspace,
                resourceGroupName: args.resourceGroupName,
                location: gateway.location,
                sku: { name: azure.operationalinsights.WorkspaceSkuNameEnum.PerGB2018 },
                retentionInDays: monitoring.retentionDays,
                tags,
              },
              child,
            ).id;

    // Existing Application Insights is read by id (its connection string is an output), never parsed.
    const appInsights: { id: pulumi.Output<string>; connectionString: pulumi.Output<string> } =
      args.shared !== undefined
        ? {
            id: pulumi.output(args.shared.appInsightsId),
            connectionString: pulumi.output(args.shared.connectionString),
          }
        : monitoring.appInsightsId !== undefined
          ? azure.applicationinsights.Component.get(`${name}-appinsights`, monitoring.appInsightsId, child)
          : new azure.applicationinsights.Component(
              `${name}-appinsights`,
              {
                resourceName: names.appInsights,
                resourceGroupName: args.resourceGroupName,
                location: gateway.location,
                kind: "web",
                applicationType: azure.applicationinsights.ApplicationType.Web,
                workspaceResourceId: this.workspaceId,
                ingestionMode: azure.applicationinsights.IngestionMode.LogAnalytics,
                tags,
              },
              child,
            );
    this.appInsightsId = appInsights.id;
    this.connectionString = pulumi.secret(appInsights.connectionString);

    const connectionString = new azure.apimanagement.NamedValue(
      `${name}-connection-string`,
      {
        ...service,
        namedValueId: names.connectionStringNamedValue,
        displayName: names.connectionStringNamedValue,
        secret: true,
        value: pulumi.secret(appInsights.connectionString),
      },
      child,
    );

    const logger = new azure.apimanagement.Logger(
      `${name}-logger`,
      {
        ...service,
        loggerId: names.logger,
        loggerType: azure.apimanagement.LoggerType.ApplicationInsights,
        description: `Application Insights of aoai-gateway ${gateway.name}`,
        credentials: { connectionString: `{{${names.connectionStringNamedValue}}}` },
        resourceId: appInsights.id,
        isBuffered: true,
      },
      { ...child, dependsOn: [connectionString] },
    );

    // metrics: true lets emit-metric policies (the token metric) send custom metrics with dimensions.
    new azure.apimanagement.ApiDiagnostic(
      `${name}-api-appinsights`,
      {
        ...service,
        apiId: args.apiName,
        diagnosticId: "applicationinsights",
        loggerId: logger.id,
        alwaysLog: azure.apimanagement.AlwaysLog.AllErrors,
        httpCorrelationProtocol: azure.apimanagement.HttpCorrelationProtocol.W3C,
        verbosity: azure.apimanagement.Verbosity.Information,
        logClientIp: false,
        metrics: true,
        sampling: {
          samplingType: azure.apimanagement.SamplingType.Fixed,
          percentage: monitoring.samplingPercentage,
        },
        ...diagnosticMasking(),
      },
      child,
    );

    if (gateway.tier.azureMonitorLogs) {
      const setting = new azure.monitor.DiagnosticSetting(
        `${name}-diagnostic-setting`,
        {
          name: names.diagnosticSetting,
          resourceUri: args.serviceId,
          workspaceId: this.workspaceId,
          logAnalyticsDestinationType: "Dedicated",
          logs: [
            { category: "GatewayLogs", enabled: true },
            { category: "GatewayLlmLogs", enabled: monitoring.llmLogs.enabled },
          ],
          metrics: [{ category: "AllMetrics", enabled: true }],
        },
        child,
      );
      const llm = monitoring.llmLogs;
      const messages = (on: boolean) => ({
        messages: on ? "all" : "none",
        maxSizeInBytes: llm.maxMessageBytes,
      });
      new azure.resources.Resource(
        `${name}-api-azuremonitor`,
        {
          resourceGroupName: args.resourceGroupName,
          resourceProviderNamespace: "Microsoft.ApiManagement",
          parentResourcePath: pulumi.interpolate`service/${args.serviceName}/apis/${args.apiName}`,
          resourceType: "diagnostics",
          resourceName: "azuremonitor",
          apiVersion: LLM_DIAGNOSTIC_API_VERSION,
          properties: {
            loggerId: pulumi.interpolate`${args.serviceId}/loggers/azuremonitor`,
            alwaysLog: "allErrors",
            logClientIp: false,
            sampling: { samplingType: "fixed", percentage: 100 },
            ...diagnosticMasking(),
            largeLanguageModel: {
              logs: llm.enabled ? "enabled" : "disabled",
              requests: messages(llm.enabled && llm.logPrompts),
              responses: messages(llm.enabled && llm.logCompletions),
            },
          },
        },
        { ...child, dependsOn: [setting] },
      );
    }

    this.registerOutputs({ workspaceId: this.workspaceId, appInsightsId: this.appInsightsId });
  }
}
