/**
 * The API clients call (issue #4): Azure OpenAI's own data-plane paths under
 * `/openai`, so the official OpenAI SDKs' Azure clients work unchanged with
 * the gateway URL as endpoint and an APIM subscription key as `api-key`.
 * One product holds the API; each consumer team gets its own subscription
 * (its own key) to that product.
 *
 * Shaped by deploy-time failures users report (docs/troubleshooting.md, "Failure modes the program prevents"):
 * - The SDKs send the key in `api-key`; APIM's default header name is
 *   Ocp-Apim-Subscription-Key, so the API renames it (401 otherwise).
 * - Policies are stored with format `xml`, ARM's canonical form (a GET returns
 *   it): the rendered text is well-formed XML whose expressions write `<`, `>`
 *   and `&` as entity references, which APIM decodes like any XML parser. Raw
 *   `<` in an expression is only accepted as `rawxml`, which our schema lint
 *   and the emulator could not read as the same text (issue #9). Users' threads
 *   agree: with `xml`, `<`, `>` and `&&` must be encoded or validation fails
 *   (hashicorp/terraform-provider-azurerm#5426), and an encoded `&lt;` sent as
 *   `rawxml` stays literal and breaks the expression
 *   (Azure/azure-api-management-devops-resource-kit#230, #371).
 * - A policy naming a backend id is rejected until that backend exists, so the
 *   API policy depends on every backend and pool.
 * - Subscription keys are secret outputs and never appear in plain state.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { API_ID, API_OPERATIONS, API_PATH, PRODUCT_ID, templateParameters } from "../model/names";
import type { Topology } from "../model/topology";
import type { RenderedPolicy } from "../policies/render";

export interface GatewayApiArgs {
  /** Required. Consumers and gateway naming. */
  readonly topology: Topology;
  /** Required. The APIM service's name and resource group. */
  readonly serviceName: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Required. Provider of the gateway's subscription. */
  readonly provider: azure.Provider;
  /** Required. The rendered policy documents (policies/render.ts), attached by scope. */
  readonly policies: readonly RenderedPolicy[];
  /** Required. Resources the policy refers to by id (backends, pools). */
  readonly policyDependsOn: readonly pulumi.Resource[];
  /**
   * Optional. Each consumer's primary and secondary key, set explicitly (issue #22: several v2 gateways behind
   * Front Door must accept the same key wherever a request lands). Default: APIM generates the keys.
   */
  readonly consumerKeySecrets?: ReadonlyMap<string, ConsumerKeySecrets>;
}

/** The two keys of one consumer's subscription (Pulumi secrets from @pulumi/random). */
export interface ConsumerKeySecrets {
  readonly primary: pulumi.Input<string>;
  readonly secondary: pulumi.Input<string>;
}

export class GatewayApi extends pulumi.ComponentResource {
  public readonly apiName: pulumi.Output<string>;
  public readonly productName: pulumi.Output<string>;
  /** Primary subscription key per consumer name (secret). */
  public readonly consumerKeys: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: GatewayApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:gateway:GatewayApi", name, {}, opts);
    const { topology, serviceName, resourceGroupName, provider } = args;
    const child = { parent: this, provider };
    const service = { serviceName, resourceGroupName };

    const api = new azure.apimanagement.Api(
      `${name}-api`,
      {
        ...service,
        apiId: API_ID,
        displayName: "Azure OpenAI",
        description: `Azure OpenAI through aoai-gateway ${topology.gateway.name}: ${topology.routes.map((r) => r.name).join(", ")}`,
        path: API_PATH,
        protocols: [azure.apimanagement.Protocol.Https],
        apiType: azure.apimanagement.ApiType.Http,
        // entra-only clients send a token and no key (issue #12); the policy validates the token.
        subscriptionRequired: topology.clientAuth.mode !== "entra-only",
        subscriptionKeyParameterNames: { header: "api-key", query: "subscription-key" },
      },
      child,
    );

    const operations = API_OPERATIONS.map(
      (op) =>
        new azure.apimanagement.ApiOperation(
          `${name}-${op.id}`,
          {
            ...service,
            apiId: api.name,
            operationId: op.id,
            displayName: op.displayName,
            method: op.method,
            urlTemplate: op.urlTemplate,
            templateParameters: templateParameters(op.urlTemplate).map((parameter) => ({
              name: parameter,
              type: "string",
              required: true,
            })),
          },
          child,
        ),
    );

    // The same text `aoai-gateway render` writes, attached by scope.
    const policyOpts = { ...child, dependsOn: [...args.policyDependsOn, ...operations] };
    for (const policy of args.policies) {
      if (policy.scope === "api") {
        new azure.apimanagement.ApiPolicy(
          `${name}-${policy.id}-policy`,
          { ...service, apiId: api.name, policyId: "policy", format: "xml", value: policy.xml },
          policyOpts,
        );
      } else {
        new azure.apimanagement.Policy(
          `${name}-service-policy`,
          { ...service, policyId: "policy", format: "xml", value: policy.xml },
          policyOpts,
        );
      }
    }

    const product = new azure.apimanagement.Product(
      `${name}-product`,
      {
        ...service,
        productId: PRODUCT_ID,
        displayName: `Azure OpenAI gateway ${topology.gateway.name}`,
        description: "Access to every route of the gateway; one subscription (key) per consumer team.",
        subscriptionRequired: true,
        approvalRequired: false,
        state: azure.apimanagement.ProductState.Published,
      },
      child,
    );
    new azure.apimanagement.ProductApi(
      `${name}-product-api`,
      { ...service, productId: product.name, apiId: api.name },
      child,
    );

    const keys = topology.consumers.map((consumer) => {
      const explicit = args.consumerKeySecrets?.get(consumer.name);
      const subscription = new azure.apimanagement.Subscription(
        `${name}-consumer-${consumer.name}`,
        {
          ...service,
          sid: consumer.name,
          displayName: consumer.displayName ?? consumer.name,
          scope: pulumi.interpolate`/products/${product.name}`,
          state: azure.apimanagement.SubscriptionState.Active,
          ...(explicit ? { primaryKey: explicit.primary, secondaryKey: explicit.secondary } : {}),
        },
        { ...child, additionalSecretOutputs: ["primaryKey", "secondaryKey"] },
      );
      if (explicit) return pulumi.output(explicit.primary).apply((key) => [consumer.name, key] as const);
      const secrets = azure.apimanagement.listSubscriptionSecretsOutput(
        { ...service, sid: subscription.name },
        { parent: this, provider },
      );
      return secrets.apply((s) => [consumer.name, s.primaryKey ?? ""] as const);
    });

    this.apiName = api.name;
    this.productName = product.name;
    this.consumerKeys = pulumi.secret(pulumi.all(keys).apply((pairs) => Object.fromEntries(pairs)));
    this.registerOutputs({ apiName: this.apiName, productName: this.productName, consumerKeys: this.consumerKeys });
  }
}
