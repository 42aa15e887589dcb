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
 * - The operator subscription (issue #21) is scoped to the API, never to the team product, so it never
 *   shows up among the teams' subscriptions, and only its key may pin a call to one member
 *   (`x-aoai-gateway-member`, what `aoai-gateway smoke` uses to reach every member after `up`).
 *
 * Security (issue #18, docs/security.md):
 * - ARM requires a query name in subscriptionKeyParameterNames; the policy
 *   refuses every call that sends a key there (keys in URLs reach logs).
 * - The product needs approval: a developer portal (off by default) could
 *   not hand out keys on sign-up. The program's own subscriptions are created
 *   active by the administrator, so approval does not hold them back.
 * - Stored-response ids are sealed with an HMAC key: a secret named value
 *   whose value is a RandomPassword (a Pulumi secret, created once and kept
 *   across `up`s, the same for every unit and region of the service). The
 *   policy depends on it, since APIM rejects a policy naming a missing named
 *   value. Replacing it (a new key) makes every sealed id handed out before
 *   answer 404.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  API_ID,
  API_OPERATIONS,
  API_PATH,
  OPERATOR_DISPLAY_NAME,
  OPERATOR_SUBSCRIPTION_ID,
  PRODUCT_ID,
  RESPONSE_SEAL_KEY_NAMED_VALUE,
  SUBSCRIPTION_KEY_QUERY,
  templateParameters,
} from "../model/names";
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
  /**
   * Optional. The key that seals stored-response ids (#18). Several v2 gateways (#22) must share one, or an id
   * sealed in one region would not open in another: further gateways get the primary's `responseSealKey`.
   * Default: this component creates it (a RandomPassword).
   */
  readonly responseSealKey?: pulumi.Input<string>;
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
  /** Primary key of the operator subscription (secret; `aoai-gateway smoke --key`). */
  public readonly operatorKey: pulumi.Output<string>;
  /** The key sealing stored-response ids (secret), for further gateways of the stack (#22). */
  public readonly responseSealKey: pulumi.Output<string>;

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
        subscriptionKeyParameterNames: { header: "api-key", query: SUBSCRIPTION_KEY_QUERY },
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

    // Letters and digits only: the policy embeds the key in a C# string literal (response-seal-mac.hbs).
    // Created once per stack (the primary gateway); further gateways are given it (#22).
    const sealKey =
      args.responseSealKey ??
      new random.RandomPassword(`${name}-response-seal-key`, { length: 64, special: false }, { parent: this }).result;
    const sealKeyValue = new azure.apimanagement.NamedValue(
      `${name}-response-seal-key`,
      {
        ...service,
        namedValueId: RESPONSE_SEAL_KEY_NAMED_VALUE,
        displayName: RESPONSE_SEAL_KEY_NAMED_VALUE,
        secret: true,
        value: pulumi.secret(sealKey),
      },
      child,
    );

    // The same text `aoai-gateway render` writes, attached by scope.
    const policyOpts = { ...child, dependsOn: [...args.policyDependsOn, ...operations, sealKeyValue] };
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
        approvalRequired: true,
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

    // Operator access (issue #21, decision 2): sid aoai-gateway-operator, scoped to the API only. Behind a
    // Front Door its keys are set explicitly, the same in every gateway (#22), like the consumers'.
    const operatorKeys = args.consumerKeySecrets?.get(OPERATOR_SUBSCRIPTION_ID);
    const operator = new azure.apimanagement.Subscription(
      `${name}-operator`,
      {
        ...service,
        sid: OPERATOR_SUBSCRIPTION_ID,
        displayName: OPERATOR_DISPLAY_NAME,
        scope: pulumi.interpolate`/apis/${api.name}`,
        state: azure.apimanagement.SubscriptionState.Active,
        ...(operatorKeys ? { primaryKey: operatorKeys.primary, secondaryKey: operatorKeys.secondary } : {}),
      },
      { ...child, additionalSecretOutputs: ["primaryKey", "secondaryKey"] },
    );
    const operatorSecrets = azure.apimanagement.listSubscriptionSecretsOutput(
      { ...service, sid: operator.name },
      { parent: this, provider },
    );

    this.apiName = api.name;
    this.operatorKey = operatorKeys
      ? pulumi.secret(pulumi.output(operatorKeys.primary))
      : pulumi.secret(operatorSecrets.apply((s) => s.primaryKey ?? ""));
    this.responseSealKey = pulumi.secret(pulumi.output(sealKey));
    this.productName = product.name;
    this.consumerKeys = pulumi.secret(pulumi.all(keys).apply((pairs) => Object.fromEntries(pairs)));
    this.registerOutputs({ apiName: this.apiName, productName: this.productName, consumerKeys: this.consumerKeys });
  }
}
