/**
 * Keyless access (issue #4): the gateway's managed identity gets "Cognitive
 * Services OpenAI User" (inference only: no keys, no management) on each
 * account it calls, at account scope, in the account's own subscription.
 *
 * Shaped by deploy-time failures users report (docs/troubleshooting.md, "Failure modes the program prevents"):
 * - principalType ServicePrincipal: without it ARM looks the new identity up
 *   in Entra ID, which may not have replicated yet (PrincipalNotFound).
 * - Stable GUID names (v5 UUID of the logical identity, model/names.ts), and
 *   delete-before-replace: a new APIM identity replaces the assignment under
 *   the same name, and ARM refuses to update an assignment's principal
 *   (RoleAssignmentUpdateNotPermitted) or hold two for one principal, role and
 *   scope (RoleAssignmentExists).
 * - The role definition id names the account's subscription.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { roleAssignmentName, roleDefinitionId } from "../model/names";
import type { Topology } from "../model/topology";
import { type Providers, providerFor } from "../providers";
import type { OpenAiAccount } from "./openai-account";

export interface GatewayAccessArgs {
  /** Required. Accounts to grant access to. */
  readonly topology: Topology;
  /** Required. The gateway identity's principal id. */
  readonly principalId: pulumi.Input<string>;
  /** Required. The deployed accounts by topology key. */
  readonly accounts: ReadonlyMap<string, OpenAiAccount>;
  /** Required. One provider per subscription alias. */
  readonly providers: Providers;
  /**
   * Optional. The gateway region whose identity this is, for a further v2 gateway (issue #22): its assignments
   * get names of their own, as ARM holds one principal per assignment name. Default: the primary gateway.
   */
  readonly region?: string;
}

export class GatewayAccess extends pulumi.ComponentResource {
  public readonly assignments: readonly azure.authorization.RoleAssignment[];

  constructor(name: string, args: GatewayAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:GatewayAccess", name, {}, opts);
    const { topology } = args;
    this.assignments = topology.accounts.map((account) => {
      const deployed = args.accounts.get(account.key);
      if (!deployed) throw new Error(`account ${account.key} was not deployed`);
      return new azure.authorization.RoleAssignment(
        `${name}-${account.key}`,
        {
          roleAssignmentName: roleAssignmentName(
            args.region === undefined ? topology.gateway.name : `${topology.gateway.name}@${args.region}`,
            account.key,
            account.subscription.id,
          ),
          scope: deployed.accountId,
          principalId: args.principalId,
          principalType: azure.authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: roleDefinitionId(account.subscription.id),
          description: `aoai-gateway ${topology.gateway.name}: API Management calls Azure OpenAI with its managed identity`,
        },
        {
          parent: this,
          provider: providerFor(args.providers, account.subscription.alias),
          deleteBeforeReplace: true,
        },
      );
    });
    this.registerOutputs({});
  }
}
