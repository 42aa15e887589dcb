/**
 * Issue #20: private networking in validation, the topology, plan, diagram, cost and plan --against.
 * Pure (no engine). Values are pinned on the fixtures under test/fixtures/network/ and on raw configs
 * built here; the failure modes from users' issue threads are named in the titles.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { namespaceConfig, readStackConfig, stackFile, stackNames } from "../infra/config/load";
import { validateConfig } from "../infra/config/validate";
import { diffTopologies, formatChanges } from "../infra/model/changes";
import { networkCost } from "../infra/model/cost";
import { mermaidDiagram } from "../infra/model/diagram";
import { createPlan } from "../infra/model/plan";
import { type Topology, buildTopology } from "../infra/model/topology";
import { type RawConfigFixture, backend, configProblems, validRawConfig } from "./helpers/config-fixtures";

const SUBNET = (sub: string, vnet: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${name}`;
const HUB = "00000000-0000-0000-0000-000000000001";
const SPOKE = "00000000-0000-0000-0000-000000000002";
const OTHER = "00000000-0000-0000-0000-0000000000ff";

function fixtureRaw(name: string): Record<string, unknown> {
  return namespaceConfig(readStackConfig(join(__dirname, "fixtures", "network", `${name}.yaml`)));
}

function topologyOf(raw: unknown): Topology {
  return buildTopology(validateConfig(raw));
}

/** The shared raw config on Standard v2 with a created network. */
function privateRaw(network: Record<string, unknown> = {}): RawConfigFixture {
  const raw = validRawConfig();
  raw.gateway.sku = "StandardV2";
  raw.network = { virtualNetwork: { addressSpace: "10.40.0.0/24" }, ...network };
  return raw;
}

describe("validation: modes per tier", () => {
  it("refuses a network on a tier whose gateway cannot reach a private endpoint, naming the tiers that can", () => {
    const raw = privateRaw();
    raw.gateway.sku = "BasicV2";
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:network: got a network for sku BasicV2; allowed: a tier whose gateway can reach private endpoints (Integration: StandardV2, PremiumV2; External: Developer, Premium; Internal: Developer, Premium, PremiumV2); Consumption, Basic, Standard, BasicV2 cannot, so the accounts could not be private",
    ]);
  });

  it("refuses a mode the tier does not offer, naming the modes it does and the tiers offering the one asked for", () => {
    expect(configProblems(privateRaw({ gatewayMode: "External" }))).toEqual([
      'aoai-gateway:network.gatewayMode: got "External"; allowed for sku StandardV2: Integration (External is offered by Developer, Premium)',
    ]);
  });

  it("refuses a network together with a further gateway region (#20 with #22): the second region could not reach the endpoints", () => {
    const raw = privateRaw();
    (raw.gateway as Record<string, unknown>).additionalLocations = [{ location: "eastus2" }];
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:network: got a private network with 1 additional gateway location; allowed: aoai-gateway:network with one gateway region (gateway.additionalLocations empty), or several gateway regions without a network (docs/networking.md, docs/multi-region.md)",
    ]);
  });

  it("defaults the mode to Integration on Standard v2 and External on classic Premium", () => {
    const classic = privateRaw();
    classic.gateway.sku = "Premium";
    expect([validateConfig(privateRaw()).network?.gatewayMode, validateConfig(classic).network?.gatewayMode]).toEqual([
      "Integration",
      "External",
    ]);
  });

  it("refuses an inbound private endpoint on an injected gateway (APIM offers none there)", () => {
    const raw = privateRaw({ gatewayMode: "Internal", gatewayPrivateEndpoint: true });
    raw.gateway.sku = "PremiumV2";
    expect(configProblems(raw)).toEqual([
      "aoai-gateway:network.gatewayPrivateEndpoint: got true with gatewayMode Internal; allowed: false (API Management offers no inbound private endpoint on a service injected in a virtual network; Internal mode already gives it a private address)",
    ]);
  });

  it("refuses a classic public IP outside classic injection", () => {
    expect(
      configProblems(
        privateRaw({
          gatewayPublicIpId: `/subscriptions/${HUB}/resourceGroups/net-rg/providers/Microsoft.Network/publicIPAddresses/apim-pip`,
        }),
      ),
    ).toEqual([
      "aoai-gateway:network.gatewayPublicIpId: got a public IP; allowed: only with classic injection (Developer or Premium in External or Internal mode)",
    ]);
  });

  it("refuses both a created network and existing subnets", () => {
    expect(
      configProblems(
        privateRaw({ subnets: { gateway: SUBNET(HUB, "v", "apim"), privateEndpoints: SUBNET(HUB, "v", "pe") } }),
      ),
    ).toEqual([
      "aoai-gateway:network: got both virtualNetwork and subnets; allowed: exactly one: virtualNetwork (the stack creates the network) or subnets (existing subnets by ARM id)",
    ]);
  });
});

describe("validation: the gateway's public access", () => {
  it("refuses turning the gateway's public access off without its private endpoint", () => {
    expect(configProblems(privateRaw({ gatewayPublicNetworkAccess: "Disabled" }))).toEqual([
      'aoai-gateway:network.gatewayPublicNetworkAccess: got "Disabled" without gatewayPrivateEndpoint; allowed: Enabled, or Disabled with gatewayPrivateEndpoint true (Azure refuses Disabled until the service has an approved private endpoint, and no client could reach the gateway)',
    ]);
  });

  it("warns that Disabled is a second up (Azure refuses it at creation)", () => {
    expect(
      topologyOf(privateRaw({ gatewayPrivateEndpoint: true, gatewayPublicNetworkAccess: "Disabled" })).warnings,
    ).toContain(
      "network.gatewayPublicNetworkAccess is Disabled: Azure refuses it while the service is created or has no approved private endpoint, so a new stack must first deploy with Enabled, then switch (docs/networking.md); clients outside the network lose the gateway",
    );
  });

  it("says clients reach the gateway only through its endpoint once public access is off", () => {
    const plan = createPlan(
      topologyOf(privateRaw({ gatewayPrivateEndpoint: true, gatewayPublicNetworkAccess: "Disabled" })),
    );
    expect(plan.network?.reach[0]).toBe(
      "clients -> gateway contoso-ai-bb90233f: from virtual network (private endpoint)",
    );
  });

  it("marks turning it off as interrupting clients outside the network", () => {
    const before = privateRaw({ gatewayPrivateEndpoint: true });
    const after = privateRaw({ gatewayPrivateEndpoint: true, gatewayPublicNetworkAccess: "Disabled" });
    expect(
      diffTopologies(topologyOf(before), topologyOf(after)).map((c) => [c.kind, c.resource, c.what, c.effect]),
    ).toEqual([
      [
        "update",
        "gateway",
        "publicNetworkAccess Enabled -> Disabled",
        "INTERRUPTS clients outside the network: from now on only the private endpoint answers; Azure refuses it unless the endpoint is approved",
      ],
    ]);
  });
});

describe("validation: subnet size and addresses", () => {
  it("refuses an address space too small for two subnets", () => {
    expect(configProblems(privateRaw({ virtualNetwork: { addressSpace: "10.40.0.0/27" } }))).toEqual([
      "aoai-gateway:network.virtualNetwork.addressSpace: got \"10.40.0.0/27\"; allowed: a /26 or larger block (two subnets: API Management's and the private endpoints')",
    ]);
  });

  it("refuses an endpoint subnet below /28", () => {
    expect(
      configProblems(
        privateRaw({ virtualNetwork: { addressSpace: "10.40.0.0/24", privateEndpointSubnet: "10.40.0.64/29" } }),
      ),
    ).toEqual([
      'aoai-gateway:network.virtualNetwork.privateEndpointSubnet: got "10.40.0.64/29"; allowed: /28 or larger for private endpoints (Microsoft\'s subnet requirements, infra/data/apim-networking.json)',
    ]);
  });

  it("refuses a Premium v2 injection subnet below /27 (Learn, inject-vnet-v2)", () => {
    const raw = privateRaw({
      gatewayMode: "Internal",
      virtualNetwork: { addressSpace: "10.40.0.0/24", gatewaySubnet: "10.40.0.64/28" },
    });
    raw.gateway.sku = "PremiumV2";
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:network.virtualNetwork.gatewaySubnet: got "10.40.0.64/28"; allowed: /27 or larger for API Management in Internal mode on PremiumV2 (Microsoft\'s subnet requirements, infra/data/apim-networking.json)',
    ]);
  });

  it("refuses a subnet outside the address space", () => {
    expect(
      configProblems(privateRaw({ virtualNetwork: { addressSpace: "10.40.0.0/24", gatewaySubnet: "10.41.0.0/27" } })),
    ).toEqual([
      'aoai-gateway:network.virtualNetwork.gatewaySubnet: got "10.41.0.0/27"; allowed: a block inside addressSpace 10.40.0.0/24',
    ]);
  });

  it("refuses overlapping subnets (API Management's subnet is dedicated)", () => {
    expect(
      configProblems(
        privateRaw({
          virtualNetwork: {
            addressSpace: "10.40.0.0/24",
            gatewaySubnet: "10.40.0.0/26",
            privateEndpointSubnet: "10.40.0.32/27",
          },
        }),
      ),
    ).toEqual([
      'aoai-gateway:network.virtualNetwork.privateEndpointSubnet: got "10.40.0.32/27", which overlaps gatewaySubnet 10.40.0.0/26; allowed: two separate blocks (API Management\'s subnet is dedicated to it)',
    ]);
  });

  it("refuses an endpoint subnet with fewer addresses than endpoints (Azure reserves 5 per subnet)", () => {
    const raw = privateRaw({
      virtualNetwork: { addressSpace: "10.40.0.0/24", privateEndpointSubnet: "10.40.0.32/28" },
    });
    raw.backends = Array.from({ length: 12 }, (_, i) => backend(i === 0 ? {} : { key: `k${i}` }));
    expect(configProblems(raw)).toEqual([
      'aoai-gateway:network.virtualNetwork.privateEndpointSubnet: got "10.40.0.32/28" with 11 usable addresses; allowed: a block with at least 12 (one per private endpoint; Azure reserves 5 per subnet)',
    ]);
  });
});

describe("validation: existing subnets and zones across subscriptions", () => {
  it("refuses an API Management subnet in another subscription than the gateway (APIM v2 integration limit)", () => {
    expect(
      configProblems(
        privateRaw({
          virtualNetwork: undefined,
          subnets: { gateway: SUBNET(SPOKE, "v", "apim"), privateEndpoints: SUBNET(HUB, "v", "pe") },
        }),
      ),
    ).toEqual([
      `aoai-gateway:network.subnets.gateway: got a subnet in subscription ${SPOKE}; allowed: a subnet in the gateway's subscription ${HUB} (hub): API Management and its virtual network must share subscription and region`,
    ]);
  });

  it("refuses an endpoint subnet in a subscription the stack has no provider for", () => {
    expect(
      configProblems(
        privateRaw({
          virtualNetwork: undefined,
          subnets: { gateway: SUBNET(HUB, "v", "apim"), privateEndpoints: SUBNET(OTHER, "hub", "pe") },
        }),
      ),
    ).toEqual([
      `aoai-gateway:network.subnets.privateEndpoints: got a subnet in subscription ${OTHER}, which aoai-gateway:subscriptions does not list; allowed: a subnet in a listed subscription (hub, spoke), since the private endpoints are created there: add the subscription with an alias`,
    ]);
  });

  it("requires a resource group for endpoints in another subscription", () => {
    expect(
      configProblems(
        privateRaw({
          virtualNetwork: undefined,
          subnets: { gateway: SUBNET(HUB, "v", "apim"), privateEndpoints: SUBNET(SPOKE, "hub", "pe") },
        }),
      ),
    ).toEqual([
      "aoai-gateway:network.subnets.privateEndpointResourceGroup: missing; required: an existing resource group in subscription spoke for the private endpoints (their subnet is not in the gateway's subscription)",
    ]);
  });

  it("refuses a zone the stack creates but does not link (unlinked zone: public resolution, then 403)", () => {
    expect(configProblems(privateRaw({ linkDnsZones: false }))).toEqual([
      "aoai-gateway:network.linkDnsZones: got false while the stack creates zone privatelink.openai.azure.com; allowed: true, or dnsZones.openai naming an existing zone that is linked already (a zone linked to no network resolves nothing: the gateway would get the accounts' public addresses and 403 once their public access is off)",
    ]);
  });

  it("refuses linking a hub zone in a subscription the stack has no provider for", () => {
    const zone = `/subscriptions/${OTHER}/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com`;
    expect(configProblems(privateRaw({ dnsZones: { openai: zone } }))).toEqual([
      `aoai-gateway:network.dnsZones.openai: got a zone in subscription ${OTHER}, which aoai-gateway:subscriptions does not list; allowed: a zone in a listed subscription (hub, spoke) so the stack can link it to the gateway's network, or linkDnsZones false when the zone's owner links it`,
    ]);
  });

  it("refuses a zone id that is not a private DNS zone's ARM id", () => {
    expect(configProblems(privateRaw({ dnsZones: { openai: "privatelink.openai.azure.com" } }))).toEqual([
      'aoai-gateway:network.dnsZones.openai: got "privatelink.openai.azure.com"; allowed: the full ARM id of an existing Microsoft.Network/privateDnsZones, e.g. /subscriptions/<subscription id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com',
    ]);
  });
});

describe("topology: accounts and warnings", () => {
  it("makes every account private by default once the stack has a network", () => {
    expect(topologyOf(privateRaw()).accounts.map((a) => a.publicNetworkAccess)).toEqual(["Disabled"]);
  });

  it("accepts publicNetworkAccess Disabled with a network", () => {
    const raw = privateRaw();
    raw.backends[0].publicNetworkAccess = "Disabled";
    expect(validateConfig(raw).backends[0].publicNetworkAccess).toBe("Disabled");
  });

  it("warns that an account left public is reachable around the gateway", () => {
    const raw = privateRaw();
    raw.backends[0].publicNetworkAccess = "Enabled";
    expect(topologyOf(raw).warnings).toContain(
      "account hub-swedencentral: publicNetworkAccess Enabled while it has a private endpoint: it still answers from the internet, around the gateway; remove the setting (the default with a network is Disabled) once its endpoint and zone group exist",
    );
  });

  it("warns that manually approved endpoints stay Pending until the accounts' owners approve them", () => {
    expect(topologyOf(privateRaw({ privateEndpointApproval: "Manual" })).warnings).toContain(
      "network.privateEndpointApproval is Manual: the 1 account endpoint stay Pending until each account's owner approves them (az network private-endpoint-connection approve --id <connection id>, docs/networking.md); until then the gateway gets no answer from those accounts",
    );
  });

  it("warns, for a hub zone the stack does not link, that resolution must already be private", () => {
    const zone = `/subscriptions/${OTHER}/resourceGroups/dns-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com`;
    expect(topologyOf(privateRaw({ dnsZones: { openai: zone }, linkDnsZones: false })).warnings).toContain(
      'network.linkDnsZones is false: the existing zone privatelink.openai.azure.com must already be linked to the network the gateway resolves from (or to the resolver its DNS servers forward to); otherwise the gateway resolves the accounts\' public addresses and gets 403 "Public access is disabled" (docs/networking.md, verify with nslookup)',
    );
  });
});

describe("plan and diagram show the network", () => {
  it("lists subnets, endpoints, zones and who reaches what", () => {
    const net = createPlan(topologyOf(fixtureRaw("private-v2"))).network;
    expect(net).toEqual({
      mode: "Integration",
      modeDescription:
        "outbound VNet integration: the gateway stays public, its calls to Azure OpenAI leave through the subnet",
      location: "swedencentral",
      virtualNetwork: "net-v2-vnet (10.50.0.0/24, created)",
      gatewaySubnet: {
        source: "created",
        subnet: "10.50.0.0/27",
        delegation: "Microsoft.Web/serverFarms",
        nsgRules: [],
      },
      privateEndpointSubnet: { source: "created", subnet: "10.50.0.32/27", delegation: null, nsgRules: [] },
      endpointSubscription: "main",
      approval: "Automatic",
      privateEndpoints: [
        {
          key: "main-swedencentral",
          name: "net-v2-main-swedencentral-e301f36c-pe",
          target: "net-v2-main-swedencentral-e301f36c",
          groupId: "account",
          zone: "privatelink.openai.azure.com",
        },
        {
          key: "other-westeurope",
          name: "net-v2-other-westeurope-81d237f1-pe",
          target: "net-v2-other-westeurope-81d237f1",
          groupId: "account",
          zone: "privatelink.openai.azure.com",
        },
        {
          key: "gateway",
          name: "net-v2-bafc5c03-pe",
          target: "net-v2-bafc5c03",
          groupId: "Gateway",
          zone: "privatelink.azure-api.net",
        },
      ],
      dnsZones: [
        { zone: "privatelink.openai.azure.com", source: "created", linked: true },
        { zone: "privatelink.azure-api.net", source: "created", linked: true },
      ],
      publicAccounts: [],
      reach: [
        "clients -> gateway net-v2-bafc5c03: from internet and from virtual network (private endpoint)",
        "gateway -> accounts: out through its subnet (Integration) to the accounts' private endpoints; names resolve in privatelink.openai.azure.com linked to net-v2-vnet",
        "internet -> accounts: refused (public network access Disabled, network rules deny, local auth off on all 2)",
      ],
    });
  });

  it("has no network section for a stack without one", () => {
    expect(createPlan(topologyOf(validRawConfig())).network).toBeNull();
  });

  it("draws each endpoint to its account and the internet refused at every private account", () => {
    const text = mermaidDiagram(createPlan(topologyOf(fixtureRaw("private-v2"))));
    expect(text.split("\n").filter((l) => /^ {2}(pe\d -->|internet )/.test(l))).toEqual([
      '  pe0 -->|"account"| a0',
      '  pe1 -->|"account"| a1',
      '  pe2 -->|"Gateway"| gateway',
      '  internet -.-x|"public access Disabled"| a0',
      '  internet -.-x|"public access Disabled"| a1',
    ]);
  });
});

describe("cost of the network", () => {
  it("prices three endpoints and two created zones at list price a month", () => {
    expect(networkCost(topologyOf(fixtureRaw("private-v2")))).toMatchObject({
      privateEndpoints: 3,
      privateEndpointsMonthlyUsd: 21.9,
      dnsZones: 2,
      dnsZonesMonthlyUsd: 1,
      publicIps: 0,
      monthlyUsd: 22.9,
    });
  });

  it("adds the classic public IP and the Internal gateway zone, and leaves out a hub zone the stack does not create", () => {
    expect([
      networkCost(topologyOf(fixtureRaw("classic-internal")))?.monthlyUsd,
      networkCost(topologyOf(fixtureRaw("hub-spoke")))?.dnsZones,
    ]).toEqual([11.95, 0]);
  });
});

describe("plan --against: what a network change replaces or interrupts", () => {
  const publicBefore = () => {
    const raw = privateRaw();
    delete raw.network;
    return raw;
  };

  it("says turning public access off in the same up as the endpoints interrupts the account (403 before DNS is private)", () => {
    const changes = diffTopologies(topologyOf(publicBefore()), topologyOf(privateRaw()));
    expect(changes.map((c) => [c.kind, c.resource, c.what])).toEqual([
      ["create", "network", "virtual network contoso-ai-vnet, 1 private endpoints, zone privatelink.openai.azure.com"],
      ["update", "gateway", "network None -> Integration"],
      ["update", "account hub-swedencentral", 'publicNetworkAccess "Enabled" -> "Disabled"'],
    ]);
    expect(changes[2].effect).toMatch(/^INTERRUPTS: public access goes off in the same up/);
  });

  it("counts interrupting changes in the section's header", () => {
    const text = formatChanges(diffTopologies(topologyOf(publicBefore()), topologyOf(privateRaw())), "before.yaml");
    expect(text.split("\n")[0]).toBe("Changes against before.yaml (3; 0 replaces, 1 interrupt):");
  });

  it("says nothing is interrupted when the endpoint existed before public access goes off (the two-up path)", () => {
    const first = privateRaw();
    first.backends[0].publicNetworkAccess = "Enabled";
    const [change] = diffTopologies(topologyOf(first), topologyOf(privateRaw()));
    expect(change.effect).toBe(
      "in place; the gateway already reaches the account through its private endpoint (check with nslookup from the network first, docs/networking.md), so nothing is interrupted",
    );
  });

  it("replaces every endpoint, deleting first, when the endpoint subnet moves", () => {
    const after = privateRaw({
      virtualNetwork: { addressSpace: "10.40.0.0/24", privateEndpointSubnet: "10.40.0.64/27" },
    });
    expect(
      diffTopologies(topologyOf(privateRaw()), topologyOf(after)).map((c) => [c.kind, c.resource, c.what]),
    ).toEqual([["replace", "private endpoint hub-swedencentral", "subnet 10.40.0.32/27 -> 10.40.0.64/27"]]);
  });

  it("calls an API Management subnet change on a classic tier a 30-60+ minute update with Developer down", () => {
    const before = privateRaw();
    before.gateway.sku = "Developer";
    const after = privateRaw({ virtualNetwork: { addressSpace: "10.40.0.0/24", gatewaySubnet: "10.40.0.64/27" } });
    after.gateway.sku = "Developer";
    const [change] = diffTopologies(topologyOf(before), topologyOf(after));
    expect([change.kind, change.resource, change.effect]).toEqual([
      "update",
      "gateway subnet",
      'API Management moves to the new subnet: a network change on a classic tier is an infrastructure update of 30-60+ minutes (Learn: "Changes to your API Management service\'s infrastructure ... can take 15 minutes or longer"); Developer has one unit and no SLA: the gateway is down during it; a created subnet whose prefix changes is replaced, which Azure refuses while the service still uses it: move the service first (two ups)',
    ]);
  });

  it("refuses switching Premium v2 between integration and injection (Azure cannot)", () => {
    const before = privateRaw();
    before.gateway.sku = "PremiumV2";
    const after = privateRaw({ gatewayMode: "Internal" });
    after.gateway.sku = "PremiumV2";
    expect(diffTopologies(topologyOf(before), topologyOf(after)).map((c) => [c.kind, c.resource, c.what])).toEqual([
      ["refused", "gateway", "network mode Integration -> Internal"],
    ]);
  });
});

describe("every stack in stacks/", () => {
  for (const stack of stackNames()) {
    it(`${stack}: no account is private without an endpoint, a zone group's zone and a link`, () => {
      const topology = buildTopology(validateConfig(namespaceConfig(readStackConfig(stackFile(stack)))));
      const privateAccounts = topology.accounts.filter((a) => a.publicNetworkAccess === "Disabled").map((a) => a.key);
      const withEndpoint = topology.network?.accountEndpoints.map((e) => e.key) ?? [];
      expect(privateAccounts.filter((k) => !withEndpoint.includes(k))).toEqual([]);
      if (privateAccounts.length > 0) expect(topology.network?.zones.openai.link).toBe(true);
    });
  }
});
