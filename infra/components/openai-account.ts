/**
 * One Azure OpenAI account and its model deployments, in one subscription and
 * region, as the topology models it (issue #3).
 *
 * Deploy-time failure modes this component is shaped by (sources in
 * docs/troubleshooting.md, "Failure modes the program prevents"):
 * - Deployments on one account are written one at a time by the resource
 *   provider; parallel writes fail with RequestConflict ("Another operation is
 *   being performed on the parent resource"). Each deployment depends on the
 *   previous one, in name order, which also serializes deletes.
 * - Keys are never used: local auth is off and nothing lists keys; the gateway
 *   calls with its managed identity.
 * - The account name is also its custom subdomain and is globally unique and
 *   deterministic (model/names.ts), so a second run renames nothing.
 * - Deployments carry no tags: any diff on a deployment sends a full PUT that
 *   is checked against quota again.
 * - Replacements delete first (issue #11). Pulumi's default creates the new
 *   resource before deleting the old: for a deployment that puts both in the
 *   same quota pool at once (InsufficientQuota for any pool above half use:
 *   Azure/bicep-types-az#1844, #1660) and re-uses a name Azure still holds;
 *   for an account, the custom subdomain is still taken. Azure cannot change
 *   a deployment's model or deployment type in place, so those replace
 *   (replaceOnChanges) instead of failing the update.
 * - With auto-upgrade on, Azure moves a deployment to a new model version by
 *   itself; the version is then ignored in diffs (ignoreChanges), so the next
 *   `up` neither sends the retired version back nor shows a downgrade
 *   (hashicorp/terraform-provider-azurerm#24516 shows the drift). With
 *   NoAutoUpgrade the configured version is applied.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import type { AccountModel, DeploymentModel } from "../model/topology";

/** Deployment inputs Azure cannot change in place: a change replaces the deployment (delete first). */
export const DEPLOYMENT_REPLACE_ON_CHANGES = ["properties.model.name", "properties.model.format", "sku.name"];

/** How a deployment is replaced and which server-side changes it accepts (issue #11). */
export function deploymentReplacement(d: DeploymentModel): pulumi.CustomResourceOptions {
  return {
    deleteBeforeReplace: true,
    replaceOnChanges: DEPLOYMENT_REPLACE_ON_CHANGES,
    ...(d.versionUpgradeOption === "NoAutoUpgrade" ? {} : { ignoreChanges: ["properties.model.version"] }),
  };
}

/**
 * A private account (issue #20) also denies by default in its network rules: no IP or network rule and no
 * trusted-service bypass lets anything in around its private endpoint. A public account keeps Azure's
 * defaults (nothing sent), so stacks without a network see no diff.
 */
export function accountNetworkAcls(
  account: AccountModel,
): Pick<azure.types.input.cognitiveservices.AccountPropertiesArgs, "networkAcls"> {
  return account.publicNetworkAccess === "Disabled"
    ? { networkAcls: { defaultAction: "Deny", bypass: "None", ipRules: [], virtualNetworkRules: [] } }
    : {};
}

export interface OpenAiAccountArgs {
  /** Required. The account as modelled by the topology (name, region, deployments). */
  readonly account: AccountModel;
  /** Required. The explicit provider of the account's subscription. */
  readonly provider: azure.Provider;
}

export class OpenAiAccount extends pulumi.ComponentResource {
  /** The account's ARM resource id. */
  public readonly accountId: pulumi.Output<string>;
  /** The account (and custom subdomain) name. */
  public readonly accountName: pulumi.Output<string>;
  /** `https://<name>.openai.azure.com/` */
  public readonly endpoint: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  /** Names of the model deployments, in creation order. */
  public readonly deploymentNames: pulumi.Output<string[]>;
  /** Principal of the account's system-assigned identity. */
  public readonly principalId: pulumi.Output<string | undefined>;

  constructor(name: string, args: OpenAiAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:fleet:OpenAiAccount", name, {}, opts);
    const { account, provider } = args;
    const child = { parent: this, provider };

    const resourceGroupName: pulumi.Output<string> = account.resourceGroup.existing
      ? pulumi.output(account.resourceGroup.name)
      : new azure.resources.ResourceGroup(
          `${name}-rg`,
          { resourceGroupName: account.resourceGroup.name, location: account.location, tags: { ...account.tags } },
          child,
        ).name;

    const openai = new azure.cognitiveservices.Account(
      name,
      {
        accountName: account.name,
        resourceGroupName,
        location: account.location,
        kind: "OpenAI",
        sku: { name: "S0" },
        identity: { type: azure.cognitiveservices.ResourceIdentityType.SystemAssigned },
        properties: {
          customSubDomainName: account.name,
          disableLocalAuth: true,
          publicNetworkAccess: account.publicNetworkAccess,
          ...accountNetworkAcls(account),
        },
        tags: { ...account.tags },
      },
      { ...child, deleteBeforeReplace: true },
    );

    // Deployments are created one at a time (RequestConflict otherwise), by name, except that a
    // provisioned deployment comes after the standard deployment it spills over to, which must exist first.
    const spills = (d: (typeof account.deployments)[number]) => (d.spilloverDeployment === undefined ? 0 : 1);
    const ordered = [...account.deployments].sort((a, b) => spills(a) - spills(b) || a.name.localeCompare(b.name));
    let previous: azure.cognitiveservices.Deployment | undefined;
    const deployments = ordered.map((d) => {
      const deployment: azure.cognitiveservices.Deployment = new azure.cognitiveservices.Deployment(
        `${name}-${d.name}`,
        {
          accountName: openai.name,
          resourceGroupName,
          deploymentName: d.name,
          sku: { name: d.sku, capacity: d.capacity },
          properties: {
            model: { format: "OpenAI", name: d.model, version: d.version },
            versionUpgradeOption: d.versionUpgradeOption,
            ...(d.raiPolicyName === undefined ? {} : { raiPolicyName: d.raiPolicyName }),
            ...(d.spilloverDeployment === undefined ? {} : { spilloverDeploymentName: d.spilloverDeployment }),
          },
        },
        { ...child, dependsOn: previous ? [previous] : [], ...deploymentReplacement(d) },
      );
      previous = deployment;
      return deployment;
    });

    this.accountId = openai.id;
    this.accountName = openai.name;
    this.endpoint = pulumi.interpolate`https://${openai.name}.openai.azure.com/`;
    this.resourceGroupName = resourceGroupName;
    this.deploymentNames = pulumi.all(deployments.map((d) => d.name));
    this.principalId = openai.identity.apply((i) => i?.principalId);
    this.registerOutputs({
      accountId: this.accountId,
      accountName: this.accountName,
      endpoint: this.endpoint,
      resourceGroupName: this.resourceGroupName,
      deploymentNames: this.deploymentNames,
    });
  }
}
