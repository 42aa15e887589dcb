/**
 * Issue #20: private networking from the real program under mocks, on fixtures this file owns
 * (test/fixtures/network/). Failure modes from users' deploys are named in each test's title.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_INTERNAL_GATEWAY_IP, type MockRunResult } from "../infra/cli/mock-run";
import { readStackConfig } from "../infra/config/load";
import { T, named, ofType, runStack } from "./helpers/program";

const N = {
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  nsg: "azure-native:network:NetworkSecurityGroup",
  pip: "azure-native:network:PublicIPAddress",
  endpoint: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  zone: "azure-native:privatedns:PrivateZone",
  link: "azure-native:privatedns:VirtualNetworkLink",
} as const;

export function fixture(name: string): Record<string, unknown> {
  return readStackConfig(join(__dirname, "fixtures", "network", `${name}.yaml`));
}

function withNetwork(name: string, change: (network: Record<string, unknown>) => void): Record<string, unknown> {
  const config = structuredClone(fixture(name));
  change(config["aoai-gateway:network"] as Record<string, unknown>);
  return config;
}

let v2: MockRunResult;
let hub: MockRunResult;
let classic: MockRunResult;
beforeAll(async () => {
  v2 = await runStack(fixture("private-v2"));
  hub = await runStack(fixture("hub-spoke"));
  classic = await runStack(fixture("classic-internal"));
});

describe("created network (Standard v2, outbound integration)", () => {
  it("creates the network with its address space in the gateway's group and region", () => {
    const vnet = named(v2, N.vnet, "gateway-network-vnet");
    expect([vnet.provider, vnet.inputs]).toEqual([
      "azure-main",
      {
        virtualNetworkName: "net-v2-vnet",
        resourceGroupName: "net-v2-gateway-rg",
        location: "swedencentral",
        addressSpace: { addressPrefixes: ["10.50.0.0/24"] },
        // azure-native's input defaults.
        enableDdosProtection: false,
        enableVmProtection: false,
        tags: {},
      },
    ]);
  });

  it("delegates API Management's subnet to Microsoft.Web/serverFarms (VirtualNetworkSubnetHasIncorrectDelegation otherwise)", () => {
    expect(named(v2, N.subnet, "gateway-network-apim").inputs).toEqual({
      subnetName: "apim",
      virtualNetworkName: "net-v2-vnet",
      resourceGroupName: "net-v2-gateway-rg",
      addressPrefix: "10.50.0.0/27",
      delegations: [{ name: "Microsoft.Web.serverFarms", serviceName: "Microsoft.Web/serverFarms" }],
      // azure-native's input defaults.
      privateEndpointNetworkPolicies: "Disabled",
      privateLinkServiceNetworkPolicies: "Enabled",
    });
  });

  it("writes the endpoints' subnet after API Management's (parallel subnet writes fail with AnotherOperationInProgress)", () => {
    const subnet = named(v2, N.subnet, "gateway-network-private-endpoints");
    expect([subnet.dependsOn, subnet.inputs.addressPrefix, subnet.inputs.privateEndpointNetworkPolicies]).toEqual([
      ["gateway-network-apim"],
      "10.50.0.32/27",
      "Disabled",
    ]);
  });

  it("puts no NSG on an outbound-integration subnet (none is required)", () => {
    expect(ofType(v2, N.nsg)).toEqual([]);
  });

  it("integrates API Management with its subnet: virtualNetworkType External and the subnet's id", () => {
    const service = named(v2, T.apim, "gateway");
    expect([service.inputs.virtualNetworkType, service.inputs.virtualNetworkConfiguration]).toEqual([
      "External",
      {
        subnetResourceId:
          "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/virtualNetworks/net-v2-vnet/subnets/apim",
      },
    ]);
  });

  it("leaves the service's public network access alone (Azure refuses Disabled at creation: terraform-provider-azurerm#21506)", () => {
    expect(named(v2, T.apim, "gateway").inputs.publicNetworkAccess).toBeUndefined();
  });

  it("sends publicNetworkAccess Disabled once the stack asks for it (second up, endpoint approved)", async () => {
    const result = await runStack(withNetwork("private-v2", (n) => (n.gatewayPublicNetworkAccess = "Disabled")));
    expect(named(result, T.apim, "gateway").inputs.publicNetworkAccess).toBe("Disabled");
  });
});

describe("private endpoints to the accounts", () => {
  it("creates one endpoint per account, group account, in the network's subscription even for another subscription's account", () => {
    expect(
      ofType(v2, N.endpoint).map((e) => [
        e.name,
        e.provider,
        e.inputs.privateEndpointName,
        (e.inputs.privateLinkServiceConnections as { groupIds: string[]; privateLinkServiceId: string }[]).map((c) => [
          c.groupIds,
          c.privateLinkServiceId,
        ]),
      ]),
    ).toEqual([
      [
        "private-endpoints-main-swedencentral-pe",
        "azure-main",
        "net-v2-main-swedencentral-e301f36c-pe",
        [
          [
            ["account"],
            "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-main-swedencentral-rg/providers/Microsoft.CognitiveServices/accounts/net-v2-main-swedencentral-e301f36c",
          ],
        ],
      ],
      [
        "private-endpoints-other-westeurope-pe",
        "azure-main",
        "net-v2-other-westeurope-81d237f1-pe",
        [
          [
            ["account"],
            "/subscriptions/00000000-0000-0000-0000-00000000a202/resourceGroups/net-v2-other-westeurope-rg/providers/Microsoft.CognitiveServices/accounts/net-v2-other-westeurope-81d237f1",
          ],
        ],
      ],
      [
        "private-endpoints-gateway-pe",
        "azure-main",
        "net-v2-bafc5c03-pe",
        [
          [
            ["Gateway"],
            "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.ApiManagement/service/net-v2-bafc5c03",
          ],
        ],
      ],
    ]);
  });

  it("places every endpoint in the endpoints' subnet, in the network's region", () => {
    for (const e of ofType(v2, N.endpoint)) {
      expect([e.inputs.location, (e.inputs.subnet as { id: string }).id]).toEqual([
        "swedencentral",
        "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/virtualNetworks/net-v2-vnet/subnets/private-endpoints",
      ]);
    }
  });

  it("deletes an endpoint before re-creating it when its subnet or connection changes (Azure changes neither in place)", () => {
    expect(named(v2, N.endpoint, "private-endpoints-main-swedencentral-pe").options).toMatchObject({
      deleteBeforeReplace: true,
      replaceOnChanges: ["subnet", "privateLinkServiceConnections", "manualPrivateLinkServiceConnections"],
    });
  });

  it("registers each endpoint through a DNS zone group in its zone", () => {
    expect(
      ofType(v2, N.zoneGroup).map((g) => [g.name, g.inputs.privateEndpointName, g.inputs.privateDnsZoneConfigs]),
    ).toEqual([
      [
        "private-endpoints-main-swedencentral-dns",
        "net-v2-main-swedencentral-e301f36c-pe",
        [
          {
            name: "privatelink-openai-azure-com",
            privateDnsZoneId:
              "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
          },
        ],
      ],
      [
        "private-endpoints-other-westeurope-dns",
        "net-v2-other-westeurope-81d237f1-pe",
        [
          {
            name: "privatelink-openai-azure-com",
            privateDnsZoneId:
              "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
          },
        ],
      ],
      [
        "private-endpoints-gateway-dns",
        "net-v2-bafc5c03-pe",
        [
          {
            name: "privatelink-azure-api-net",
            privateDnsZoneId:
              "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/privateDnsZones/privatelink.azure-api.net",
          },
        ],
      ],
    ]);
  });

  it("sends a manual connection request, not an automatic connection, when approval is Manual (cross-subscription without rights)", async () => {
    const result = await runStack(withNetwork("private-v2", (n) => (n.privateEndpointApproval = "Manual")));
    const e = named(result, N.endpoint, "private-endpoints-other-westeurope-pe");
    expect([e.inputs.privateLinkServiceConnections, e.inputs.manualPrivateLinkServiceConnections]).toEqual([
      undefined,
      [
        {
          name: "net-v2-other-westeurope-81d237f1-pe",
          privateLinkServiceId:
            "/subscriptions/00000000-0000-0000-0000-00000000a202/resourceGroups/net-v2-other-westeurope-rg/providers/Microsoft.CognitiveServices/accounts/net-v2-other-westeurope-81d237f1",
          groupIds: ["account"],
          requestMessage:
            "aoai-gateway: private endpoint net-v2-other-westeurope-81d237f1-pe for the gateway (issue #20)",
        },
      ],
    ]);
  });
});

describe("accounts behind their endpoints", () => {
  it("turns public network access off, denies by default with no bypass, and keeps local auth off", () => {
    expect(named(v2, T.account, "fleet-other-westeurope").inputs.properties).toEqual({
      customSubDomainName: "net-v2-other-westeurope-81d237f1",
      disableLocalAuth: true,
      publicNetworkAccess: "Disabled",
      networkAcls: { defaultAction: "Deny", bypass: "None", ipRules: [], virtualNetworkRules: [] },
    });
  });

  it("keeps an account public with Azure's default rules when its entry says Enabled (first step of a move)", async () => {
    const config = structuredClone(fixture("private-v2"));
    (config["aoai-gateway:backends"] as Record<string, unknown>[])[0].publicNetworkAccess = "Enabled";
    const result = await runStack(config);
    expect(named(result, T.account, "fleet-main-swedencentral").inputs.properties).toEqual({
      customSubDomainName: "net-v2-main-swedencentral-e301f36c",
      disableLocalAuth: true,
      publicNetworkAccess: "Enabled",
    });
  });
});

describe("private DNS", () => {
  it("creates privatelink.openai.azure.com and privatelink.azure-api.net as global zones in the gateway's group", () => {
    expect(
      ofType(v2, N.zone).map((z) => [z.inputs.privateZoneName, z.inputs.location, z.inputs.resourceGroupName]),
    ).toEqual([
      ["privatelink.openai.azure.com", "global", "net-v2-gateway-rg"],
      ["privatelink.azure-api.net", "global", "net-v2-gateway-rg"],
    ]);
  });

  it("links each zone to the gateway's network without auto-registration (an unlinked zone resolves publicly: 403)", () => {
    expect(
      ofType(v2, N.link).map((l) => [l.inputs.privateZoneName, l.inputs.virtualNetwork, l.inputs.registrationEnabled]),
    ).toEqual([
      [
        "privatelink.openai.azure.com",
        {
          id: "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/virtualNetworks/net-v2-vnet",
        },
        false,
      ],
      [
        "privatelink.azure-api.net",
        {
          id: "/subscriptions/00000000-0000-0000-0000-00000000a201/resourceGroups/net-v2-gateway-rg/providers/Microsoft.Network/virtualNetworks/net-v2-vnet",
        },
        false,
      ],
    ]);
  });

  it("attaches the routing policy only after every account's zone group and the zone links exist (no 403 window)", () => {
    expect(named(v2, T.apiPolicy, "api-azure-openai-policy").dependsOn).toEqual(
      expect.arrayContaining([
        "private-endpoints-main-swedencentral-dns",
        "private-endpoints-other-westeurope-dns",
        "gateway-network-openai-link",
        "gateway-network-apim-link",
      ]),
    );
  });
});

describe("hub-spoke: existing subnets, a hub zone in another subscription (Premium v2)", () => {
  it("creates no network, subnet or openai zone: it uses the ones that exist", () => {
    expect([ofType(hub, N.vnet), ofType(hub, N.subnet), ofType(hub, N.zone)]).toEqual([[], [], []]);
  });

  it("reads an injected Premium v2 service's private address from the generic resource's properties", async () => {
    const result = await runStack(withNetwork("hub-spoke", (n) => (n.gatewayMode = "Internal")));
    expect(named(result, "azure-native:privatedns:PrivateRecordSet", "gateway-internal-dns-a").inputs.aRecords).toEqual(
      [{ ipv4Address: MOCK_INTERNAL_GATEWAY_IP }],
    );
  });

  it("creates no gateway host zone outside Internal mode", () => {
    expect(ofType(hub, "azure-native:privatedns:PrivateRecordSet")).toEqual([]);
  });

  it("integrates Premium v2 (the generic 2025-03-01-preview resource) with the existing subnet", () => {
    const service = named(hub, T.generic, "gateway");
    expect([service.inputs.apiVersion, service.inputs.properties]).toEqual([
      "2025-03-01-preview",
      {
        developerPortalStatus: "Disabled", // #18: no portal handing out keys
        publisherEmail: "platform@contoso.com",
        publisherName: "Contoso Platform",
        virtualNetworkType: "External",
        virtualNetworkConfiguration: {
          subnetResourceId:
            "/subscriptions/00000000-0000-0000-0000-00000000b301/resourceGroups/spoke-net-rg/providers/Microsoft.Network/virtualNetworks/spoke-vnet/subnets/apim",
        },
      },
    ]);
  });

  it("links the hub's zone to the spoke network under the hub subscription's provider, in the zone's group, named per gateway", () => {
    expect(
      ofType(hub, N.link).map((l) => [
        l.provider,
        l.inputs.virtualNetworkLinkName,
        l.inputs.resourceGroupName,
        l.inputs.privateZoneName,
        l.inputs.virtualNetwork,
      ]),
    ).toEqual([
      [
        "azure-hub",
        "net-hub-gateway-link",
        "hub-dns-rg",
        "privatelink.openai.azure.com",
        {
          id: "/subscriptions/00000000-0000-0000-0000-00000000b301/resourceGroups/spoke-net-rg/providers/Microsoft.Network/virtualNetworks/spoke-vnet",
        },
      ],
    ]);
  });

  it("registers every endpoint in the hub's zone", () => {
    expect(
      ofType(hub, N.zoneGroup).map(
        (g) => (g.inputs.privateDnsZoneConfigs as { privateDnsZoneId: string }[])[0].privateDnsZoneId,
      ),
    ).toEqual([
      "/subscriptions/00000000-0000-0000-0000-00000000b302/resourceGroups/hub-dns-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
      "/subscriptions/00000000-0000-0000-0000-00000000b302/resourceGroups/hub-dns-rg/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
    ]);
  });

  it("creates the endpoints in the existing subnet, in the spoke subscription, for accounts of two subscriptions", () => {
    expect(
      ofType(hub, N.endpoint).map((e) => [
        e.provider,
        e.inputs.resourceGroupName,
        (e.inputs.subnet as { id: string }).id,
      ]),
    ).toEqual([
      [
        "azure-spoke",
        "net-hub-gateway-rg",
        "/subscriptions/00000000-0000-0000-0000-00000000b301/resourceGroups/spoke-net-rg/providers/Microsoft.Network/virtualNetworks/spoke-vnet/subnets/endpoints",
      ],
      [
        "azure-spoke",
        "net-hub-gateway-rg",
        "/subscriptions/00000000-0000-0000-0000-00000000b301/resourceGroups/spoke-net-rg/providers/Microsoft.Network/virtualNetworks/spoke-vnet/subnets/endpoints",
      ],
    ]);
  });
});

describe("classic Premium injected in Internal mode", () => {
  it("attaches an NSG with the rules APIM needs in Internal mode (no client rule from the internet)", () => {
    const nsg = named(classic, N.nsg, "gateway-network-apim-nsg");
    expect(
      (nsg.inputs.securityRules as Record<string, unknown>[]).map((r) => [
        r.name,
        r.direction,
        r.sourceAddressPrefix,
        r.destinationAddressPrefix,
        r.destinationPortRange ?? r.destinationPortRanges,
      ]),
    ).toEqual([
      ["AllowApimManagement", "Inbound", "ApiManagement", "VirtualNetwork", "3443"],
      ["AllowAzureLoadBalancer", "Inbound", "AzureLoadBalancer", "VirtualNetwork", "6390"],
      ["AllowStorageOutbound", "Outbound", "VirtualNetwork", "Storage", "443"],
      ["AllowSqlOutbound", "Outbound", "VirtualNetwork", "Sql", "1433"],
      ["AllowKeyVaultOutbound", "Outbound", "VirtualNetwork", "AzureKeyVault", "443"],
      ["AllowMonitorOutbound", "Outbound", "VirtualNetwork", "AzureMonitor", ["1886", "443"]],
    ]);
  });

  it("adds the client rule (Internet to 80 and 443) in External mode", async () => {
    const result = await runStack(withNetwork("classic-internal", (n) => (n.gatewayMode = "External")));
    const rules = named(result, N.nsg, "gateway-network-apim-nsg").inputs.securityRules as Record<string, unknown>[];
    expect(rules[0]).toMatchObject({
      name: "AllowClientHttps",
      direction: "Inbound",
      sourceAddressPrefix: "Internet",
      destinationPortRanges: ["80", "443"],
    });
  });

  it("gives the injected subnet its NSG and no delegation (a delegated subnet fails classic injection)", () => {
    const subnet = named(classic, N.subnet, "gateway-network-apim");
    expect([subnet.inputs.delegations, subnet.inputs.networkSecurityGroup]).toEqual([
      undefined,
      {
        id: "/subscriptions/00000000-0000-0000-0000-00000000c401/resourceGroups/net-classic-gateway-rg/providers/Microsoft.Network/networkSecurityGroups/net-classic-vnet-apim-nsg",
      },
    ]);
  });

  it("creates the Standard static public IPv4 with a DNS label that stv2 injection uses", () => {
    expect(named(classic, N.pip, "gateway-network-apim-pip").inputs).toEqual({
      publicIpAddressName: "net-classic-10f3643e-pip",
      resourceGroupName: "net-classic-gateway-rg",
      location: "francecentral",
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
      dnsSettings: { domainNameLabel: "net-classic-10f3643e-pip" },
      tags: {},
    });
  });

  it("resolves the Internal gateway's host privately: a zone named after it, linked, apex A record on its private IP", () => {
    const zone = named(classic, N.zone, "gateway-internal-dns-zone");
    const link = named(classic, N.link, "gateway-internal-dns-link");
    const record = named(classic, "azure-native:privatedns:PrivateRecordSet", "gateway-internal-dns-a");
    expect([
      zone.inputs.privateZoneName,
      link.inputs.privateZoneName,
      record.inputs.relativeRecordSetName,
      record.inputs.aRecords,
    ]).toEqual([
      "net-classic-10f3643e.azure-api.net",
      "net-classic-10f3643e.azure-api.net",
      "@",
      [{ ipv4Address: MOCK_INTERNAL_GATEWAY_IP }],
    ]);
  });

  it("injects the service Internal with the subnet and the public IP", () => {
    const s = named(classic, T.apim, "gateway").inputs;
    expect([s.virtualNetworkType, s.virtualNetworkConfiguration, s.publicIpAddressId]).toEqual([
      "Internal",
      {
        subnetResourceId:
          "/subscriptions/00000000-0000-0000-0000-00000000c401/resourceGroups/net-classic-gateway-rg/providers/Microsoft.Network/virtualNetworks/net-classic-vnet/subnets/apim",
      },
      "/subscriptions/00000000-0000-0000-0000-00000000c401/resourceGroups/net-classic-gateway-rg/providers/Microsoft.Network/publicIPAddresses/net-classic-10f3643e-pip",
    ]);
  });
});

describe("the program in its own process", () => {
  // An apply that throws (e.g. reading a private address a service does not have) ends the real program;
  // under in-process mocks it can go unnoticed, so each fixture is previewed by the bin in a fresh process.
  for (const name of ["private-v2", "hub-spoke", "classic-internal"]) {
    it(`previews ${name} with exit code 0`, () => {
      const bin = join(__dirname, "..", "bin", "aoai-gateway.cjs");
      const r = spawnSync(
        process.execPath,
        [bin, "preview", "--config", join(__dirname, "fixtures", "network", `${name}.yaml`)],
        {
          encoding: "utf8",
        },
      );
      expect([r.status, r.stderr]).toEqual([0, ""]);
    });
  }
});
