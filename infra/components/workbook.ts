/**
 * The stack's Azure Workbook (issue #12): built from the topology by
 * model/monitoring.ts (workbookContent), so each stack's workbook names its
 * own routes and members and their planned shares. Its queries run against
 * the stack's Log Analytics workspace (`sourceId`).
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { monitoringNames, workbookContent } from "../model/monitoring";
import type { Topology } from "../model/topology";

export interface GatewayWorkbookArgs {
  /** Required. The stack's topology. */
  readonly topology: Topology;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Required. Resource group of the gateway. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. The Log Analytics workspace the workbook queries. */
  readonly workspaceId: pulumi.Input<string>;
  /** Optional. Tags. Default: none. */
  readonly tags?: Readonly<Record<string, string>>;
}

export class GatewayWorkbook extends pulumi.ComponentResource {
  public readonly workbookId: pulumi.Output<string>;

  constructor(name: string, args: GatewayWorkbookArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:monitoring:GatewayWorkbook", name, {}, opts);
    const names = monitoringNames(args.topology);
    const workbook = new azure.applicationinsights.Workbook(
      `${name}-workbook`,
      {
        resourceName: names.workbook,
        resourceGroupName: args.resourceGroupName,
        location: args.topology.gateway.location,
        kind: azure.applicationinsights.WorkbookSharedTypeKind.Shared,
        category: "workbook",
        displayName: names.workbookDisplayName,
        serializedData: workbookContent(args.topology),
        sourceId: args.workspaceId,
        tags: { ...(args.tags ?? {}) },
      },
      { parent: this, provider: args.provider },
    );
    this.workbookId = workbook.id;
    this.registerOutputs({ workbookId: this.workbookId });
  }
}
