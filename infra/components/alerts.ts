/**
 * Alerts of the gateway (issue #12), thresholds from
 * `aoai-gateway:monitoring.alerts`, all notifying one action group (emails and
 * webhooks from config):
 * - client 429 rate and 5xx rate: log alerts on ApiManagementGatewayLogs
 *   (only on tiers that send resource logs);
 * - member 429s: one metric alert per Azure OpenAI account on its own
 *   `AzureOpenAIRequests` metric, split by deployment and filtered on
 *   StatusCode 429, created under the account's provider in its resource
 *   group. Each 429 trips that member's circuit breaker with the default
 *   breaker (failureCount 1), and breaker state itself is not observable
 *   (MicrosoftDocs/azure-docs#119825), so this counts trips;
 * - quota pool utilisation: a log alert, peak tokens per minute per pool
 *   against the pool's quota, from APIM's LLM log joined with the gateway
 *   log (which names the member in pool mode too), or from the token metric
 *   (AppMetrics) on Consumption.
 *
 * Log alert queries are in model/monitoring.ts and tested against the
 * documented table schemas.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_SHOWN, isEncrypted } from "../config/schema";
import { client429Query, monitoringNames, quotaUtilisationQuery, serverErrorQuery } from "../model/monitoring";
import type { Topology } from "../model/topology";
import { type Providers, providerFor } from "../providers";
import type { OpenAiAccount } from "./openai-account";

export interface AlertsArgs {
  /** Required. The stack's topology (alert config, pools, accounts). */
  readonly topology: Topology;
  /** Required. One provider per subscription alias; the gateway's holds the action group and log alerts. */
  readonly providers: Providers;
  /** Required. Resource group of the gateway (action group and log alerts go there). */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The Log Analytics workspace the log alerts query. */
  readonly workspaceId: pulumi.Input<string>;
  /** Required. The fleet's accounts by key, for the per-member metric alerts. */
  readonly accounts: ReadonlyMap<string, OpenAiAccount>;
  /** Optional. Tags for the action group and every rule. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Severity of every rule: 2 (warning). */
export const ALERT_SEVERITY = 2;

export class Alerts extends pulumi.ComponentResource {
  public readonly actionGroupId: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:monitoring:Alerts", name, {}, opts);
    const { topology } = args;
    const { alerts } = topology.monitoring;
    const names = monitoringNames(topology);
    const gatewayProvider = providerFor(args.providers, topology.gateway.subscription.alias);
    const child = { parent: this, provider: gatewayProvider };
    const tags = { ...(args.tags ?? {}) };
    const window = `PT${alerts.windowMinutes}M`;

    const group = new azure.monitor.ActionGroup(
      `${name}-action-group`,
      {
        actionGroupName: names.actionGroup,
        resourceGroupName: args.resourceGroupName,
        location: "global",
        groupShortName: names.actionGroupShortName,
        enabled: true,
        emailReceivers: alerts.emails.map((email, i) => ({
          name: `email-${i}`,
          emailAddress: email,
          useCommonAlertSchema: true,
        })),
        webhookReceivers: alerts.webhooks.map((uri, i) => ({
          name: `webhook-${i}`,
          // A webhook URL may carry a token (issue #17): a Pulumi secret from here on, however the stack file
          // holds it. The engine decrypts `secure:` values before the program runs (pulumi/pulumi#3342); only
          // the offline preview, which cannot decrypt, still sees the ciphertext and shows [secret].
          serviceUri: pulumi.secret(isEncrypted(uri) ? SECRET_SHOWN : uri),
          useCommonAlertSchema: true,
        })),
        tags,
      },
      child,
    );
    this.actionGroupId = group.id;

    const logAlert = (
      key: string,
      description: string,
      query: string,
      column: string,
      threshold: number,
      by?: string,
    ) =>
      new azure.monitor.ScheduledQueryRule(
        `${name}-${key}`,
        {
          ruleName: `${topology.gateway.name}-${key}`,
          resourceGroupName: args.resourceGroupName,
          location: topology.gateway.location,
          kind: azure.monitor.Kind.LogAlert,
          displayName: `aoai-gateway ${topology.gateway.name}: ${description}`,
          description,
          severity: ALERT_SEVERITY,
          enabled: true,
          scopes: [args.workspaceId],
          evaluationFrequency: window,
          windowSize: window,
          autoMitigate: true,
          criteria: {
            allOf: [
              {
                query,
                timeAggregation: azure.monitor.TimeAggregation.Maximum,
                metricMeasureColumn: column,
                // Not azure.monitor.ConditionOperator: in this SDK that enum is another API's ("gt"), which
                // scheduledQueryRules rejects; its operators are Equals, GreaterThan, ... (Operator's values).
                operator: azure.monitor.Operator.GreaterThan,
                threshold,
                dimensions: by ? [{ name: by, operator: azure.monitor.DimensionOperator.Include, values: ["*"] }] : [],
                failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
              },
            ],
          },
          actions: { actionGroups: [group.id] },
          tags,
        },
        child,
      );

    if (topology.gateway.tier.azureMonitorLogs) {
      logAlert(
        "client-429",
        `more than ${alerts.client429Percent}% of client requests answered 429 in ${alerts.windowMinutes} minutes`,
        client429Query().text,
        "ThrottledPercent",
        alerts.client429Percent,
      );
      logAlert(
        "server-errors",
        `more than ${alerts.serverErrorPercent}% of client requests answered 5xx in ${alerts.windowMinutes} minutes`,
        serverErrorQuery().text,
        "FailedPercent",
        alerts.serverErrorPercent,
      );
    }

    // The quota query reads the LLM log where the tier sends resource logs, else the token metric.
    const quota = quotaUtilisationQuery(topology);
    const tokensLogged = topology.gateway.tier.azureMonitorLogs
      ? topology.monitoring.llmLogs.enabled
      : topology.policies.tokenMetrics.enabled;
    if (quota && tokensLogged) {
      logAlert(
        "quota-utilisation",
        `a quota pool used more than ${alerts.quotaUtilisationPercent}% of its tokens per minute`,
        quota.text,
        "UtilisationPercent",
        alerts.quotaUtilisationPercent,
        "Pool",
      );
    }

    // One metric alert per account, in the account's subscription and resource group.
    for (const model of topology.accounts) {
      const account = args.accounts.get(model.key);
      if (!account) throw new Error(`no account ${model.key} in the fleet`);
      new azure.monitor.MetricAlert(
        `${name}-${model.key}-429`,
        {
          ruleName: `${topology.gateway.name}-${model.key}-429`,
          resourceGroupName: account.resourceGroupName,
          location: "global",
          description: `a deployment of account ${model.key} answered more than ${alerts.member429Count} requests with 429 in ${alerts.windowMinutes} minutes (each trips its member's circuit breaker)`,
          severity: ALERT_SEVERITY,
          enabled: true,
          scopes: [account.accountId],
          evaluationFrequency: window,
          windowSize: window,
          autoMitigate: true,
          criteria: {
            odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            allOf: [
              {
                criterionType: "StaticThresholdCriterion",
                name: "member-429",
                metricNamespace: "Microsoft.CognitiveServices/accounts",
                metricName: "AzureOpenAIRequests",
                timeAggregation: azure.monitor.AggregationTypeEnum.Total,
                operator: azure.monitor.Operator.GreaterThan,
                threshold: alerts.member429Count,
                dimensions: [
                  { name: "StatusCode", operator: "Include", values: ["429"] },
                  { name: "ModelDeploymentName", operator: "Include", values: ["*"] },
                ],
              },
            ],
          },
          actions: [{ actionGroupId: group.id }],
          tags: { ...tags, ...model.tags },
        },
        { parent: this, provider: providerFor(args.providers, model.subscription.alias) },
      );
    }

    this.registerOutputs({ actionGroupId: this.actionGroupId });
  }
}
