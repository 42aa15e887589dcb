/**
 * Gateway regions (issue #22): config rules, the topology, plan and cost, and the resources under Pulumi's
 * mocks. Values are pinned on the fixtures this file owns (test/fixtures/multi-region/); the invariants loop
 * over every stack in stacks/. Deploy-time failure modes from users' threads are named in the titles.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import type { MockRunResult } from "../infra/cli/mock-run";
import { readStackConfig, stackFile, stackNames } from "../infra/config/load";
import { ConfigError, validateConfig } from "../infra/config/validate";
import { additionalLocations, apimTimeouts } from "../infra/components/api-gateway";
import { ORIGIN_RESPONSE_TIMEOUT_SECONDS, healthProbe, originArgs } from "../infra/components/front-door";
import {
  availabilityOf,
  localityRank,
  normalizeRegion,
  regionalPoolId,
  regionalPriorities,
} from "../infra/model/gateway-regions";
import { diffTopologies } from "../infra/model/changes";
import { RESPONSE_SEAL_KEY_NAMED_VALUE } from "../infra/model/names";
import { createPlan, formatPlan } from "../infra/model/plan";
import { renderPolicies } from "../infra/policies/render";
import { cli } from "./helpers/cli";
import { T, named, ofType, runStack } from "./helpers/program";

const PREMIUM = "test/fixtures/multi-region/Pulumi.premium-regions.yaml";
const V2 = "test/fixtures/multi-region/Pulumi.v2-frontdoor.yaml";

function raw(file: string): Record<string, unknown> {
  const all = readStackConfig(file);
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => k.startsWith("aoai-gateway:"))
      .map(([k, v]) => [k.slice("aoai-gateway:".length), v]),
  );
}

function problemsOf(file: string, change: (c: Record<string, unknown>) => void): readonly string[] {
  const config = structuredClone(raw(file));
  change(config);
  try {
    validateConfig(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

const gatewayOf = (c: Record<string, unknown>) => c.gateway as Record<string, unknown>;

describe("gateway region config", () => {
  it("refuses additional locations on a tier without them and names the tiers that have them", () => {
    expect(
      problemsOf(V2, (c) => {
        gatewayOf(c).sku = "Standard";
      }),
    ).toEqual([
      "aoai-gateway:gateway.additionalLocations: got 2 additional locations; allowed: none for sku Standard (Standard: one region only, no availability zones); more regions: Premium: additional locations of one service, zones per location; BasicV2: one gateway per region behind Azure Front Door, no availability zones; StandardV2: one gateway per region behind Azure Front Door, zone redundancy set at creation; PremiumV2: one gateway per region behind Azure Front Door, zone redundancy set at creation",
    ]);
  });

  it("refuses zones in a region without availability zones (NotSupported, terraform-provider-azurerm#17515)", () => {
    expect(
      problemsOf(PREMIUM, (c) => {
        (gatewayOf(c).additionalLocations as Record<string, unknown>[])[0].location = "canadaeast";
      }),
    ).toEqual([
      'aoai-gateway:gateway.additionalLocations[0].zones: got ["1","2","3"] in canadaeast; allowed: zones only in a region with availability zones (canadaeast has none for API Management; Azure refuses with NotSupported, terraform-provider-azurerm#17515; list: infra/data/gateway-regions.json azRegions)',
    ]);
  });

  it("refuses Premium units that do not spread evenly over the zones", () => {
    expect(
      problemsOf(PREMIUM, (c) => {
        gatewayOf(c).capacity = 3;
      }),
    ).toEqual([
      "aoai-gateway:gateway.zones: got 2 zones for 3 units; allowed: units equal to or a multiple of the number of zones on Premium, so every zone holds the same share (Learn, API Management zone redundancy)",
    ]);
  });

  it("refuses zones on a tier without them", () => {
    expect(
      problemsOf(V2, (c) => {
        gatewayOf(c).sku = "BasicV2";
        gatewayOf(c).zones = ["1", "2"];
      }),
    ).toEqual([
      'aoai-gateway:gateway.zones: got ["1","2"]; allowed: no zones for sku BasicV2 (BasicV2: one gateway per region behind Azure Front Door, no availability zones); zones are offered by Premium: additional locations of one service, zones per location; StandardV2: one gateway per region behind Azure Front Door, zone redundancy set at creation; PremiumV2: one gateway per region behind Azure Front Door, zone redundancy set at creation',
    ]);
  });

  it("refuses zones on Premium v2, which the program creates without a zones field", () => {
    expect(
      problemsOf(V2, (c) => {
        gatewayOf(c).sku = "PremiumV2";
        gatewayOf(c).zones = ["1", "2", "3"];
      }),
    ).toEqual([
      'aoai-gateway:gateway.zones: got ["1","2","3"]; allowed: no zones for sku PremiumV2 in this release (the program creates Premium v2 as a generic ARM resource without a zones field; docs/multi-region.md); zones are deployed for Premium and StandardV2',
    ]);
  });

  it("refuses a gateway region listed twice", () => {
    expect(
      problemsOf(V2, (c) => {
        (gatewayOf(c).additionalLocations as Record<string, unknown>[])[1].location = "swedencentral";
      }),
    ).toEqual([
      'aoai-gateway:gateway.additionalLocations[1].location: got "swedencentral"; allowed: a region that is not a gateway region already (gateway.location)',
    ]);
  });

  it("refuses a per-route locality for a route that does not exist", () => {
    expect(
      problemsOf(V2, (c) => {
        (c.routing as Record<string, unknown>).routeLocality = { chatt: "region" };
      }),
    ).toEqual([
      'aoai-gateway:routing.routeLocality.chatt: got a setting for "chatt"; allowed: a route (deployment name) of aoai-gateway:backends (chat, embed)',
    ]);
  });

  it("counts one pool per route and gateway region against the v2 backend limit", () => {
    const problems = problemsOf(V2, (c) => {
      gatewayOf(c).additionalLocations = Array.from({ length: 9 }, (_, i) => ({
        location: [
          "eastus2",
          "westeurope",
          "northeurope",
          "uksouth",
          "francecentral",
          "westus3",
          "eastus",
          "centralus",
          "japaneast",
        ][i],
      }));
      (c.routing as Record<string, unknown>).mode = "pool";
      const backends = c.backends as { deployments: Record<string, unknown>[] }[];
      for (let k = 0; k < 8; k++) {
        backends[0].deployments.push({
          name: `r${k}`,
          model: "gpt-4o-mini",
          version: "2024-07-18",
          sku: "GlobalStandard",
          capacity: 1,
        });
      }
    });
    // 12 members + 10 routes x 10 regions (embed is off: 1 pool) = 12 + 91
    expect(problems).toEqual([
      "aoai-gateway:backends: got 103 APIM backends (12 deployments + 91 pools); allowed: at most 100 backends per service in sku StandardV2 (Microsoft's service limits)",
    ]);
  });

  it("defaults locality to geography with several gateway regions and to off with one", () => {
    const several = loadTopology(PREMIUM, (c) => delete (c.routing as Record<string, unknown>).locality);
    const one = loadTopology(PREMIUM, (c) => {
      delete (c.routing as Record<string, unknown>).locality;
      gatewayOf(c).additionalLocations = [];
    });
    expect([several.routes[0].locality, one.routes[0].locality]).toEqual(["geography", "off"]);
  });
});

describe("locality order", () => {
  it("reads region names as ARM names whatever context.Deployment.Region gives", () => {
    expect(["Sweden Central", "swedencentral", "East US 2"].map(normalizeRegion)).toEqual([
      "swedencentral",
      "swedencentral",
      "eastus2",
    ]);
  });

  it("ranks the serving region first, then its geography, then the rest", () => {
    expect(
      ["swedencentral", "westeurope", "eastus2"].map((m) => localityRank(m, "swedencentral", "geography")),
    ).toEqual([0, 1, 2]);
    expect(["swedencentral", "westeurope", "eastus2"].map((m) => localityRank(m, "swedencentral", "region"))).toEqual([
      0, 2, 2,
    ]);
  });

  it("keeps priority groups in order and orders members inside each group (PTU first stays first)", () => {
    const members = [
      { priority: 1, location: "swedencentral" },
      { priority: 2, location: "eastus2" },
      { priority: 2, location: "westus3" },
      { priority: 3, location: "francecentral" },
    ];
    expect(regionalPriorities(members, "eastus2", "geography")).toEqual([1, 2, 3, 4]);
    expect(regionalPriorities(members, "swedencentral", "geography")).toEqual([1, 2, 2, 3]);
    expect(regionalPriorities(members, "swedencentral", "off")).toEqual([1, 2, 2, 3]);
  });

  it("names a further region's pool within the 80 characters of a backend id", () => {
    expect(regionalPoolId("chat", "eastus2")).toBe("pool-chat-eastus2");
    expect(regionalPoolId("x".repeat(64), "southafricanorth").length).toBe(80);
  });
});

describe("plan: regions, URLs, availability and cost", () => {
  const premium = createPlan(loadTopology(PREMIUM));
  const v2 = createPlan(loadTopology(V2));

  it("lists every Premium location with units, zones, regional URL and price", () => {
    expect(premium.gateway.regions).toEqual([
      {
        location: "swedencentral",
        geography: "Europe",
        primary: true,
        units: 2,
        zones: ["1", "2"],
        serviceName: "mr-premium-eeff2386",
        url: "https://mr-premium-eeff2386-swedencentral-01.regional.azure-api.net",
        monthlyUsd: 5600,
      },
      {
        location: "eastus2",
        geography: "US",
        primary: false,
        units: 3,
        zones: ["1", "2", "3"],
        serviceName: "mr-premium-eeff2386",
        url: "https://mr-premium-eeff2386-eastus2-01.regional.azure-api.net",
        monthlyUsd: 8400,
      },
    ]);
    expect([premium.gateway.globalUrl, premium.gateway.monthlyUsd, premium.gateway.frontDoor]).toEqual([
      "https://mr-premium-eeff2386.azure-api.net",
      14000,
      null,
    ]);
  });

  it("publishes 99.99% for Premium in two regions, with the SLA as its source", () => {
    expect(premium.gateway.availability).toEqual({
      publishedPercent: 99.99,
      basis: "Premium deployed in 2 regions",
      composedPercent: null,
      source:
        "Service Level Agreements for Online Services, API Management and Azure Front Door sections (https://www.microsoft.com/licensing/docs/view/Service-Level-Agreements-SLA-for-Online-Services), read 2026-12-06",
    });
  });

  it("prices three v2 gateways and the Front Door, and says no SLA is published for the combination", () => {
    expect([v2.gateway.monthlyUsd, v2.gateway.regions.map((r) => r.serviceName), v2.gateway.frontDoor]).toEqual([
      2635,
      ["mr-v2-e9a17b0a", "mr-v2-eastus2-2d53b923", "mr-v2-westeurope-665ccbcf"],
      { sku: "Standard_AzureFrontDoor", probePath: "/status-0123456789abcdef", monthlyUsd: 35 },
    ]);
    expect([v2.gateway.availability.publishedPercent, v2.gateway.availability.composedPercent]).toEqual([
      99.95, 99.989,
    ]);
  });

  it("prints the regions table, the global URL and the availability with its source", () => {
    const text = formatPlan(v2);
    expect(text).toContain("  Gateway regions (3, one StandardV2 gateway each, behind Azure Front Door):");
    expect(text).toContain(
      "  Global URL https://mr-v2-afd-<hash>.<zone>.azurefd.net (Front Door Standard_AzureFrontDoor, $35.00 a month base fee; Azure assigns the host suffix: pulumi stack output gatewayUrl); health probe GET /status-0123456789abcdef on each gateway",
    );
    expect(text).toMatch(/Availability: 99\.95% published .*; source: Service Level Agreements for Online Services/);
  });

  it("has no published availability for Developer (no SLA)", () => {
    expect(availabilityOf("Developer", []).publishedPercent).toBeNull();
  });

  it("counts every region's units and the Front Door in the cost estimate", () => {
    const cost = createPlan(loadTopology(V2), { utilization: 0.5, inputShare: 0.75, cachedInputShare: 0 }).cost;
    expect([cost?.apiManagement.units, cost?.apiManagement.monthlyUsd, cost?.apiManagement.label]).toEqual([
      4,
      2635,
      "API Management only (gateway base price in 3 regions and the Azure Front Door base fee, 35 USD; Azure OpenAI not included)",
    ]);
  });
});

describe("policies: locality data", () => {
  it("gives each pool-mode route one pool per gateway region, chosen by context.Deployment.Region", () => {
    const xml = renderPolicies(loadTopology(PREMIUM))[0].xml;
    expect(xml).toContain(`value='{"swedencentral":"pool-chat","eastus2":"pool-chat-eastus2"}'`);
    expect(xml).toContain("context.Deployment.Region");
  });

  it("carries no locality data for a route with locality off", () => {
    const xml = renderPolicies(loadTopology(V2))[0].xml;
    const embed = /aoai-deployment"\] == "embed"\)'>\s*<set-variable name="aoai-members" value='([^']*)'/.exec(xml);
    const members = JSON.parse(embed?.[1] ?? "[]") as Record<string, unknown>[];
    expect(members.map((m) => m.regional)).toEqual([undefined, undefined]);
  });
});

describe("front door settings (failure modes from users' threads)", () => {
  it("probes API Management's own health endpoint with GET over HTTPS (an API path answers the probe 401)", () => {
    expect(healthProbe()).toEqual({
      probePath: "/status-0123456789abcdef",
      probeProtocol: "Https",
      probeRequestType: "GET",
      probeIntervalInSeconds: 30,
    });
  });

  it("sends the gateway's own host as origin host header (another host is unknown to API Management: 404)", () => {
    expect(originArgs("a.azure-api.net")).toEqual({
      hostName: "a.azure-api.net",
      originHostHeader: "a.azure-api.net",
      httpsPort: 443,
      enforceCertificateNameCheck: true,
      priority: 1,
      weight: 1000,
    });
  });

  it("waits 240 s for an origin (Front Door's default 60 s cuts long completions with 504)", () => {
    expect(ORIGIN_RESPONSE_TIMEOUT_SECONDS).toBe(240);
  });
});

describe("resources under mocks", () => {
  let premium: MockRunResult;
  let v2: MockRunResult;
  beforeAll(async () => {
    premium = await runStack(readStackConfig(PREMIUM));
    v2 = await runStack(readStackConfig(V2));
  }, 120_000);

  it("adds Premium locations with their own units and zones to the one service", () => {
    const services = ofType(premium, T.apim);
    expect(services.map((s) => [s.inputs.zones, s.inputs.additionalLocations])).toEqual([
      [["1", "2"], [{ location: "eastus2", sku: { name: "Premium", capacity: 3 }, zones: ["1", "2", "3"] }]],
    ]);
  });

  it("sends no zones for a location without them (zones once sent could not be unset: terraform-provider-azurerm#17515)", () => {
    const topology = loadTopology(PREMIUM, (c) => {
      delete (gatewayOf(c).additionalLocations as Record<string, unknown>[])[0].zones;
    });
    expect(additionalLocations(topology.gateway)).toEqual([
      { location: "eastus2", sku: { name: "Premium", capacity: 3 } },
    ]);
  });

  it("waits two more hours per additional Premium location (adding one takes 45+ minutes per location)", () => {
    expect(named(premium, T.apim, "gateway").options.customTimeouts).toEqual({
      create: "5h",
      update: "5h",
      delete: "4h",
    });
    expect(apimTimeouts(loadTopology(PREMIUM).gateway)).toEqual({ create: "5h", update: "5h", delete: "4h" });
  });

  it("gives Premium one pool per route and location with the location's priorities", () => {
    const pools = ofType(premium, T.backend).filter((b) => b.inputs.type === "Pool");
    expect(
      pools.map((p) => [
        p.inputs.backendId,
        (p.inputs.pool as { services: { priority: number }[] }).services.map((s) => s.priority),
      ]),
    ).toEqual([
      // members in topology order: eu-westeurope, hub-swedencentral, us-eastus2 (priority 1), eu-francecentral (2)
      ["pool-chat", [2, 1, 3, 4]],
      ["pool-chat-eastus2", [2, 2, 1, 3]],
    ]);
  });

  it("creates one Standard v2 gateway per region, each with the same backends, policy, consumer keys and operator key", () => {
    const services = ofType(v2, T.apim);
    expect(
      services.map((s) => [s.inputs.serviceName, s.inputs.location, (s.inputs.sku as { capacity: number }).capacity]),
    ).toEqual([
      ["mr-v2-e9a17b0a", "swedencentral", 1],
      ["mr-v2-eastus2-2d53b923", "eastus2", 2],
      ["mr-v2-westeurope-665ccbcf", "westeurope", 1],
    ]);
    const policies = ofType(v2, T.apiPolicy).map((p) => p.inputs.value);
    expect([policies.length, new Set(policies).size]).toEqual([3, 1]);
    const keys = ofType(v2, T.subscription).map((s) => [s.inputs.sid, s.inputs.primaryKey, s.inputs.secondaryKey]);
    expect(keys).toEqual([
      [
        "team-a",
        "mock-random-password-consumer-keys-team-a-primary",
        "mock-random-password-consumer-keys-team-a-secondary",
      ],
      [
        "team-a",
        "mock-random-password-consumer-keys-team-a-primary",
        "mock-random-password-consumer-keys-team-a-secondary",
      ],
      [
        "team-a",
        "mock-random-password-consumer-keys-team-a-primary",
        "mock-random-password-consumer-keys-team-a-secondary",
      ],
      ...Array.from({ length: 3 }, () => [
        "aoai-gateway-operator",
        "mock-random-password-consumer-keys-aoai-gateway-operator-primary",
        "mock-random-password-consumer-keys-aoai-gateway-operator-secondary",
      ]),
    ]);
    // policy mode: the 4 member backends (2 routes x 2 accounts) in each of the 3 gateways, no pools
    expect(ofType(v2, T.backend).length).toBe(3 * 4);
  });

  it("gives every gateway the same value for each named value it holds (e.g. #18's response-sealing key)", () => {
    // A secret generated per gateway would make ids sealed in one region fail in the other.
    const values = new Map<string, Set<string>>();
    for (const nv of ofType(v2, "azure-native:apimanagement:NamedValue")) {
      const id = String(nv.inputs.namedValueId);
      values.set(id, new Set([...(values.get(id) ?? []), JSON.stringify(nv.inputs.value)]));
    }
    expect([...values.entries()].filter(([, v]) => v.size > 1).map(([id]) => id)).toEqual([]);
  });

  it("sends every region's telemetry to the primary's Application Insights (one logger per gateway, one secret)", async () => {
    const config = readStackConfig(V2);
    config["aoai-gateway:monitoring"] = { enabled: true };
    const result = await runStack(config);
    const loggers = ofType(result, "azure-native:apimanagement:Logger");
    // The Application Insights key's named value; the response seal key (#18) is checked by the test above.
    const secrets = ofType(result, "azure-native:apimanagement:NamedValue")
      .filter((n) => n.inputs.namedValueId !== RESPONSE_SEAL_KEY_NAMED_VALUE)
      .map((n) => n.inputs.value);
    expect([
      loggers.map((l) => l.inputs.serviceName),
      new Set(loggers.map((l) => l.inputs.resourceId)).size,
      secrets.length,
      new Set(secrets.map((v) => JSON.stringify(v))).size,
      ofType(result, "azure-native:applicationinsights:Component").length,
    ]).toEqual([["mr-v2-e9a17b0a", "mr-v2-eastus2-2d53b923", "mr-v2-westeurope-665ccbcf"], 1, 3, 1, 1]);
  });

  it("gives each gateway's identity its own role assignment names (ARM keeps one principal per name)", () => {
    const names = ofType(v2, T.role).map((r) => r.inputs.roleAssignmentName);
    expect([names.length, new Set(names).size]).toEqual([6, 6]);
  });

  it("puts every gateway behind one Front Door origin group, and the route after its origins", () => {
    const origins = ofType(v2, "azure-native:cdn:AFDOrigin").map((o) => [
      o.inputs.originName,
      o.inputs.hostName,
      o.inputs.originHostHeader,
    ]);
    expect(origins).toEqual([
      ["gateway-swedencentral", "mr-v2-e9a17b0a.azure-api.net", "mr-v2-e9a17b0a.azure-api.net"],
      ["gateway-eastus2", "mr-v2-eastus2-2d53b923.azure-api.net", "mr-v2-eastus2-2d53b923.azure-api.net"],
      ["gateway-westeurope", "mr-v2-westeurope-665ccbcf.azure-api.net", "mr-v2-westeurope-665ccbcf.azure-api.net"],
    ]);
    expect(named(v2, "azure-native:cdn:Route", "regions-frontdoor-route").dependsOn).toEqual([
      "regions-frontdoor-origin-swedencentral",
      "regions-frontdoor-origin-eastus2",
      "regions-frontdoor-origin-westeurope",
    ]);
    expect(named(v2, "azure-native:cdn:Profile", "regions-frontdoor-profile").inputs.originResponseTimeoutSeconds).toBe(
      240,
    );
  });

  it("exports the Front Door URL as the gateway URL and every region's direct URL", () => {
    expect([v2.outputs.gatewayUrl, v2.outputs.gatewayRegions]).toEqual([
      "https://regions-frontdoor-endpoint-mock.z01.azurefd.net",
      [
        { location: "swedencentral", url: "https://mr-v2-e9a17b0a.azure-api.net", primary: true },
        { location: "eastus2", url: "https://mr-v2-eastus2-2d53b923.azure-api.net", primary: false },
        { location: "westeurope", url: "https://mr-v2-westeurope-665ccbcf.azure-api.net", primary: false },
      ],
    ]);
  });
});

describe("simulate with gateway regions", () => {
  it("reports served requests per region and during a region outage (seeded, fixture)", async () => {
    const r = await cli(
      "simulate",
      "--config",
      V2,
      "--load",
      "0.9",
      "--duration",
      "5m",
      "--region-split",
      "swedencentral=2,eastus2=1,westeurope=1",
      "--region-outage",
      "westeurope@1m-3m",
      "--json",
    );
    const result = JSON.parse(r.out) as { regions: unknown; outage: unknown };
    expect([r.code, result.regions, result.outage]).toEqual([
      0,
      [
        { location: "swedencentral", offeredRequests: 878, servedRequests: 947, failedOverIn: 69, servedShare: 0.5571 },
        { location: "eastus2", offeredRequests: 441, servedRequests: 483, failedOverIn: 42, servedShare: 0.2841 },
        { location: "westeurope", offeredRequests: 472, servedRequests: 270, failedOverIn: 0, servedShare: 0.1588 },
      ],
      {
        region: "westeurope",
        from: 60,
        until: 180,
        failoverSeconds: 60,
        offeredRequests: 757,
        servedRequests: 666,
        servedShare: 0.8798,
        lostBeforeFailover: 91,
        failedOver: 111,
      },
    ]);
  });

  it("loses nothing to an outage when the front door fails over at once", async () => {
    const r = await cli(
      "simulate",
      "--config",
      V2,
      "--load",
      "0.5",
      "--duration",
      "3m",
      "--region-outage",
      "eastus2@0-2m",
      "--failover-seconds",
      "0",
      "--json",
    );
    const outage = (JSON.parse(r.out) as { outage: { lostBeforeFailover: number; servedShare: number } }).outage;
    expect([outage.lostBeforeFailover, outage.servedShare]).toEqual([0, 1]);
  });

  it("refuses region flags on a one-region gateway with a usage error", async () => {
    const r = await cli("simulate", "--stack", "dev", "--region-outage", "eastus2@1m-2m");
    expect([r.code, r.err]).toEqual([
      2,
      "error: --region-split and --region-outage need a gateway in more than one region; contoso-ai-dev runs in swedencentral only (aoai-gateway:gateway.additionalLocations)\n",
    ]);
  });

  it("refuses an outage that ends before it starts", async () => {
    const r = await cli("simulate", "--config", V2, "--region-outage", "westeurope@3m-1m");
    expect([r.code, r.err]).toEqual([
      2,
      'error: --region-outage "westeurope@3m-1m": allowed is REGION@FROM-UNTIL with an ARM region name and times such as 2m-5m or 120-300 (until after from)\n',
    ]);
  });

  it("refuses a region the gateway does not have", async () => {
    const r = await cli("simulate", "--config", V2, "--region-split", "japaneast=1");
    expect([r.code, r.err]).toEqual([
      2,
      'error: region "japaneast": allowed is a gateway region of mr-v2 (swedencentral, eastus2, westeurope)\n',
    ]);
  });
});

describe("plan --against: region changes", () => {
  const v2 = () => loadTopology(V2);
  it("says a first further v2 region adds a gateway and a Front Door and changes the consumer keys once", () => {
    const one = loadTopology(V2, (c) => {
      gatewayOf(c).additionalLocations = [];
    });
    const changes = diffTopologies(one, v2()).filter((c) => c.resource.startsWith("gateway region"));
    expect(changes.map((c) => [c.kind, c.resource])).toEqual([
      ["create", "gateway region eastus2"],
      ["create", "gateway region westeurope"],
    ]);
    expect(changes[0].effect).toContain("every consumer key is set explicitly and changes once");
  });

  it("refuses new zones on an existing Standard v2 gateway (zone redundancy is set at creation only)", () => {
    const zoned = loadTopology(V2, (c) => {
      (gatewayOf(c).additionalLocations as Record<string, unknown>[])[0].zones = ["1", "2"];
    });
    expect(diffTopologies(v2(), zoned).map((c) => [c.kind, c.resource, c.what])).toEqual([
      ["refused", "gateway region eastus2", 'zones [] -> ["1","2"]'],
    ]);
  });

  it("removes a Premium location in place", () => {
    const one = loadTopology(PREMIUM, (c) => {
      gatewayOf(c).additionalLocations = [];
    });
    expect(diffTopologies(loadTopology(PREMIUM), one).map((c) => [c.kind, c.resource, c.what])).toEqual([
      ["update", "gateway region eastus2", "additional location removed"],
    ]);
  });
});

describe("every stack in stacks/ (invariants)", () => {
  for (const stack of stackNames()) {
    it(`${stack}: every gateway region gets its units priced and one URL`, () => {
      const plan = createPlan(loadTopology(stackFile(stack)));
      expect(plan.gateway.regions.every((r) => r.monthlyUsd >= 0 && r.url.startsWith("https://"))).toBe(true);
      expect(new Set(plan.gateway.regions.map((r) => r.location)).size).toBe(plan.gateway.regions.length);
    });
  }
});
