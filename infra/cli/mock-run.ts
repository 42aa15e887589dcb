/**
 * Runs the real Pulumi program (infra/index.ts) offline under Pulumi's mocks
 * and records every resource it registers: type, logical name, explicit
 * provider, parent, explicit dependencies and resolved inputs.
 *
 * `preview` and the program's unit tests both use this, so what they show is
 * what `pulumi up` would register. The program runs inside
 * `runInPulumiStack`, as the language host runs it, so stack outputs resolve
 * the same way and a stack transformation sees every resource's options.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  /** Pulumi type token, e.g. azure-native:cognitiveservices:Account. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Logical name of the explicit provider, or null. */
  readonly provider: string | null;
  /** Logical name of the parent, or null for top-level resources. */
  readonly parent: string | null;
  /** Logical names from explicit dependsOn. */
  readonly dependsOn: readonly string[];
  /** The resource's inputs, resolved. */
  readonly inputs: Record<string, unknown>;
  /** false for component resources. */
  readonly custom: boolean;
  /** Resource options that change how the engine creates, replaces or stores it. */
  readonly options: RecordedOptions;
  /**
   * Input keys whose value is a Pulumi secret (the engine stores and shows them encrypted; issue #17). Their
   * values in `inputs` are unwrapped; `preview` prints `[secret]` for them.
   */
  readonly secretInputs: readonly string[];
}

export interface RecordedOptions {
  readonly deleteBeforeReplace?: boolean;
  readonly customTimeouts?: pulumi.CustomTimeouts;
  readonly additionalSecretOutputs?: readonly string[];
  readonly protect?: boolean;
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
}

export interface MockRunResult {
  readonly resources: readonly RecordedResource[];
  /** Stack outputs, resolved (secrets unwrapped). */
  readonly outputs: Record<string, unknown>;
}

export interface MockRunOptions {
  /** The full stack config map (`namespace:key` -> value), as in a stack file. */
  readonly config: Record<string, unknown>;
  readonly stack: string;
  /** Loads (imports) the program module; runs once per call. */
  readonly load: () => Promise<unknown>;
  /** Called as each resource reaches the mock engine (also when the program later fails). */
  readonly onRegister?: (type: string, name: string) => void;
  /**
   * Config keys the engine would mark secret (`pulumi config set --secret`, or a structured key with a
   * `secure:` leaf, which the engine passes decrypted and marks secret as a whole; pulumi/pulumi#3342).
   */
  readonly secretKeys?: readonly string[];
}

/** The mock monitor's wrapper of a secret value (@pulumi/pulumi runtime/rpc: specialSigKey, specialSecretSig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretWrapper(v: unknown): v is { value: unknown } {
  return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Inputs with secret wrappers removed (at any depth), and the top-level keys that held one. */
function unwrapSecrets(inputs: Record<string, unknown>): { inputs: Record<string, unknown>; secret: string[] } {
  const secret = new Set<string>();
  const walk = (v: unknown, top: string): unknown => {
    if (isSecretWrapper(v)) {
      secret.add(top);
      return walk(v.value, top);
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, top));
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, top)]));
    }
    return v;
  };
  const out = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, walk(v, k)]));
  return { inputs: out, secret: [...secret].sort() };
}

const PROJECT = "aoai-gateway";
const STACK_TYPE = "pulumi:pulumi:Stack";

/** The input that holds a resource's Azure name, per type (azure-native returns it as `name`). */
const NAME_INPUT: Record<string, string> = {
  "azure-native:resources:ResourceGroup": "resourceGroupName",
  "azure-native:cognitiveservices:Account": "accountName",
  "azure-native:cognitiveservices:Deployment": "deploymentName",
  "azure-native:apimanagement:ApiManagementService": "serviceName",
  "azure-native:resources:Resource": "resourceName",
  "azure-native:apimanagement:Backend": "backendId",
  "azure-native:apimanagement:Api": "apiId",
  "azure-native:apimanagement:ApiOperation": "operationId",
  "azure-native:apimanagement:ApiPolicy": "policyId",
  "azure-native:apimanagement:Policy": "policyId",
  "azure-native:apimanagement:Product": "productId",
  "azure-native:apimanagement:ProductApi": "apiId",
  "azure-native:apimanagement:Subscription": "sid",
  "azure-native:apimanagement:NamedValue": "namedValueId",
  "azure-native:authorization:RoleAssignment": "roleAssignmentName",
  "azure-native:operationalinsights:Workspace": "workspaceName",
  "azure-native:applicationinsights:Component": "resourceName",
  "azure-native:apimanagement:Logger": "loggerId",
  "azure-native:apimanagement:ApiDiagnostic": "diagnosticId",
  "azure-native:monitor:DiagnosticSetting": "name",
  "azure-native:monitor:ActionGroup": "actionGroupName",
  "azure-native:monitor:ScheduledQueryRule": "ruleName",
  "azure-native:monitor:MetricAlert": "ruleName",
  "azure-native:applicationinsights:Workbook": "resourceName",
  // Private networking (issue #20).
  "azure-native:network:VirtualNetwork": "virtualNetworkName",
  "azure-native:network:Subnet": "subnetName",
  "azure-native:network:NetworkSecurityGroup": "networkSecurityGroupName",
  "azure-native:network:PublicIPAddress": "publicIpAddressName",
  "azure-native:network:PrivateEndpoint": "privateEndpointName",
  "azure-native:network:PrivateDnsZoneGroup": "privateDnsZoneGroupName",
  "azure-native:privatedns:PrivateZone": "privateZoneName",
  "azure-native:privatedns:VirtualNetworkLink": "virtualNetworkLinkName",
};

/** The Azure name of a recorded resource (account name, APIM service name, backend id, ...), or null when it has none of its own. */
export function azureNameOf(r: { readonly type: string; readonly inputs: Record<string, unknown> }): string | null {
  const key = NAME_INPUT[r.type];
  const value = key === undefined ? undefined : r.inputs[key];
  return typeof value === "string" ? value : null;
}

/** ARM path segments after the resource group, per type, to make readable mock ids. */
function armId(type: string, inputs: Record<string, unknown>, name: string, subscriptionId: string): string {
  const sub = `/subscriptions/${subscriptionId}`;
  const rg = `${sub}/resourceGroups/${String(inputs.resourceGroupName)}`;
  const apim = `${rg}/providers/Microsoft.ApiManagement/service/${String(inputs.serviceName)}`;
  switch (type) {
    case "azure-native:resources:ResourceGroup":
      return `${sub}/resourceGroups/${name}`;
    case "azure-native:cognitiveservices:Account":
      return `${rg}/providers/Microsoft.CognitiveServices/accounts/${name}`;
    case "azure-native:cognitiveservices:Deployment":
      return `${rg}/providers/Microsoft.CognitiveServices/accounts/${String(inputs.accountName)}/deployments/${name}`;
    case "azure-native:apimanagement:ApiManagementService":
    case "azure-native:resources:Resource":
      return `${rg}/providers/Microsoft.ApiManagement/service/${name}`;
    case "azure-native:apimanagement:Backend":
      return `${apim}/backends/${name}`;
    case "azure-native:apimanagement:Api":
      return `${apim}/apis/${name}`;
    case "azure-native:apimanagement:Product":
      return `${apim}/products/${name}`;
    case "azure-native:apimanagement:Subscription":
      return `${apim}/subscriptions/${name}`;
    case "azure-native:authorization:RoleAssignment":
      return `${String(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    case "azure-native:operationalinsights:Workspace":
      return `${rg}/providers/Microsoft.OperationalInsights/workspaces/${name}`;
    case "azure-native:applicationinsights:Component":
      return `${rg}/providers/Microsoft.Insights/components/${name}`;
    case "azure-native:apimanagement:NamedValue":
      return `${apim}/namedValues/${name}`;
    case "azure-native:apimanagement:Logger":
      return `${apim}/loggers/${name}`;
    case "azure-native:monitor:ActionGroup":
      return `${rg}/providers/Microsoft.Insights/actionGroups/${name}`;
    case "azure-native:applicationinsights:Workbook":
      return `${rg}/providers/Microsoft.Insights/workbooks/${name}`;
    case "azure-native:network:VirtualNetwork":
      return `${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
    case "azure-native:network:Subnet":
      return `${rg}/providers/Microsoft.Network/virtualNetworks/${String(inputs.virtualNetworkName)}/subnets/${name}`;
    case "azure-native:network:NetworkSecurityGroup":
      return `${rg}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    case "azure-native:network:PublicIPAddress":
      return `${rg}/providers/Microsoft.Network/publicIPAddresses/${name}`;
    case "azure-native:network:PrivateEndpoint":
      return `${rg}/providers/Microsoft.Network/privateEndpoints/${name}`;
    case "azure-native:privatedns:PrivateZone":
      return `${rg}/providers/Microsoft.Network/privateDnsZones/${name}`;
    default:
      return `${type}/${name}`;
  }
}

/** A stand-in private address of an API Management service injected in Internal mode (issue #20). */
export const MOCK_INTERNAL_GATEWAY_IP = "10.255.0.4";

/** Outputs Azure computes that the program reads. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const identity = {
    identity: { type: "SystemAssigned", principalId: `${name}-principal-id`, tenantId: "mock-tenant" },
  };
  switch (type) {
    case "azure-native:cognitiveservices:Account":
      return identity;
    case "azure-native:apimanagement:ApiManagementService":
      return inputs.virtualNetworkType === "Internal"
        ? { ...identity, privateIPAddresses: [MOCK_INTERNAL_GATEWAY_IP] }
        : identity;
    case "azure-native:resources:Resource": {
      const properties = inputs.properties as Record<string, unknown> | undefined;
      return properties?.virtualNetworkType === "Internal"
        ? { ...identity, properties: { ...properties, privateIPAddresses: [MOCK_INTERNAL_GATEWAY_IP] } }
        : identity;
    }
    case "random:index/randomPassword:RandomPassword":
      return { result: `mock-random-password-${name}` };
    case "azure-native:applicationinsights:Component":
      return {
        connectionString: `InstrumentationKey=mock-${name};IngestionEndpoint=https://mock.in.applicationinsights.azure.com/`,
      };
    // Front Door assigns its endpoint's host name (issue #22).
    case "azure-native:cdn:AFDEndpoint":
      return { hostName: `${name}-mock.z01.azurefd.net` };
    default:
      return {};
  }
}

function dependencyList(dependsOn: pulumi.ResourceOptions["dependsOn"]): unknown[] {
  if (dependsOn === undefined) return [];
  return Array.isArray(dependsOn) ? dependsOn : [dependsOn];
}

/** Resolve an Output with `apply` (Output.promise() is not typed). */
export function resolveOutput<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** Run the program under mocks and return what it registered. Rejects when the program throws. */
export async function runProgramWithMocks(options: MockRunOptions): Promise<MockRunResult> {
  const names = new WeakMap<pulumi.Resource, string>();
  const options_ = new Map<
    string,
    { provider: string | null; parent: string | null; dependsOn: string[]; options: RecordedOptions }
  >();
  const inputs = new Map<
    string,
    { inputs: Record<string, unknown>; secretInputs: string[]; custom: boolean; type: string; name: string }
  >();
  const providerSubscription = new Map<string, string>();
  let constructed = 0;
  let failure: { error: unknown } | undefined;

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const { inputs: resourceInputs, secret } = unwrapSecrets(args.inputs as Record<string, unknown>);
        const key = `${args.type}::${args.name}`;
        if (args.type !== STACK_TYPE) options.onRegister?.(args.type, args.name);
        inputs.set(key, {
          inputs: resourceInputs,
          secretInputs: secret,
          custom: args.custom ?? true,
          type: args.type,
          name: args.name,
        });
        if (args.type.startsWith("pulumi:providers:")) {
          const id = `${args.name}-provider-id`;
          providerSubscription.set(
            id,
            typeof resourceInputs.subscriptionId === "string" ? resourceInputs.subscriptionId : "",
          );
          return { id, state: resourceInputs };
        }
        // The mock engine passes the provider as "<urn>::<id>".
        const providerId = args.provider ? args.provider.slice(args.provider.lastIndexOf("::") + 2) : "";
        const subscriptionId = providerSubscription.get(providerId) ?? "00000000-0000-0000-0000-000000000000";
        const nameInput = NAME_INPUT[args.type];
        const azureName =
          nameInput && typeof resourceInputs[nameInput] === "string" ? resourceInputs[nameInput] : args.name;
        // A read of an existing resource (Resource.get) keeps the id it was read by.
        const id = args.id || armId(args.type, resourceInputs, azureName, subscriptionId);
        return {
          id,
          state: { ...resourceInputs, name: azureName, ...computedState(args.type, azureName, resourceInputs) },
        };
      },
      call(args) {
        const callInputs = args.inputs as Record<string, unknown>;
        if (args.token === "azure-native:apimanagement:listSubscriptionSecrets") {
          const sid = String(callInputs.sid);
          return { primaryKey: `mock-key-${sid}`, secondaryKey: `mock-key-2-${sid}` };
        }
        return {};
      },
    },
    PROJECT,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(options.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    ),
    options.secretKeys ? [...options.secretKeys] : undefined,
  );

  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      constructed++;
      names.set(args.resource, args.name);
      // Custom-resource options are a superset of ResourceOptions, all optional.
      const opts: pulumi.CustomResourceOptions = args.opts;
      const nameOf = (r: unknown): string | null => (pulumi.Resource.isInstance(r) ? (names.get(r) ?? null) : null);
      options_.set(`${args.type}::${args.name}`, {
        provider: nameOf(args.opts.provider),
        parent: nameOf(args.opts.parent),
        dependsOn: dependencyList(args.opts.dependsOn)
          .map(nameOf)
          .filter((n): n is string => n !== null),
        options: Object.fromEntries(
          Object.entries({
            deleteBeforeReplace: opts.deleteBeforeReplace,
            customTimeouts: opts.customTimeouts,
            additionalSecretOutputs: opts.additionalSecretOutputs,
            protect: opts.protect,
            ignoreChanges: opts.ignoreChanges,
            replaceOnChanges: opts.replaceOnChanges,
          }).filter(([, v]) => v !== undefined),
        ),
      });
      return undefined;
    });
    // A failing program is reported after the stack settles, not thrown out of
    // the stack's init (which would also reject the stack's own bookkeeping).
    try {
      const program = (await options.load()) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(program).filter(([k]) => k !== "default" && k !== "__esModule"));
    } catch (e) {
      failure = { error: e };
      return {};
    }
  });
  if (failure) throw failure.error;

  // Wait until every constructed resource has reached the mock monitor.
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 30_000; waited += 5) {
    await new Promise((r) => setTimeout(r, 5));
    const registered = [...inputs.values()].filter((r) => r.type !== STACK_TYPE).length;
    quiet = registered >= constructed ? quiet + 1 : 0;
  }

  const resources: RecordedResource[] = [...inputs.values()]
    .filter((r) => r.type !== STACK_TYPE)
    .map((r) => {
      const o = options_.get(`${r.type}::${r.name}`) ?? { provider: null, parent: null, dependsOn: [], options: {} };
      return {
        type: r.type,
        name: r.name,
        provider: o.provider,
        parent: o.parent,
        dependsOn: o.dependsOn,
        inputs: r.inputs,
        custom: r.custom,
        options: o.options,
        secretInputs: r.secretInputs,
      };
    });
  return { resources, outputs: outputs ?? {} };
}
