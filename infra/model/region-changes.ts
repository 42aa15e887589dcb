/**
 * What a change to the gateway's regions does to a running stack (issue #22), for `plan --against`. Pure.
 */
import type { Change } from "./changes";
import { TIER_REGIONS } from "./gateway-regions";
import type { GatewayModel } from "./topology";

/** Regions added, removed or changed between two gateways of the same service. */
export function gatewayRegionChanges(before: GatewayModel, after: GatewayModel): Change[] {
  if (before.sku !== after.sku || before.serviceName !== after.serviceName) return [];
  const classic = TIER_REGIONS[after.sku].multiRegion === "additionalLocations";
  const changes: Change[] = [];
  const old = new Map(before.regions.map((r) => [r.location, r]));
  const now = new Map(after.regions.map((r) => [r.location, r]));
  for (const r of after.regions.filter((x) => !old.has(x.location))) {
    changes.push(
      classic
        ? {
            kind: "update",
            resource: `gateway region ${r.location}`,
            what: `additional location, ${r.capacity} unit${r.capacity === 1 ? "" : "s"}`,
            effect: "a location of the same service, added in place: 45+ minutes, the other locations keep serving",
          }
        : {
            kind: "create",
            resource: `gateway region ${r.location}`,
            what: `API Management ${after.sku} ${r.serviceName}, ${r.capacity} unit${r.capacity === 1 ? "" : "s"}`,
            effect:
              before.frontDoor === null
                ? "a second gateway with the same backends, policy and keys, and an Azure Front Door in front of both: every consumer key is set explicitly and changes once (hand out the new keys); clients move to the Front Door URL (stack output gatewayUrl)"
                : "one more gateway behind the Front Door, with the same backends, policy and keys",
          },
    );
  }
  for (const r of before.regions.filter((x) => !now.has(x.location))) {
    changes.push(
      classic
        ? {
            kind: "update",
            resource: `gateway region ${r.location}`,
            what: "additional location removed",
            effect: "removed in place (45+ minutes); its clients are routed to the other locations",
          }
        : {
            kind: "delete",
            resource: `gateway region ${r.location}`,
            what: `API Management ${r.serviceName}`,
            effect:
              after.frontDoor === null
                ? "the gateway and the Front Door are deleted (the service is soft-deleted for 48 hours); gatewayUrl is the primary's URL again"
                : "the gateway leaves the Front Door and is deleted (soft-deleted for 48 hours)",
          },
    );
  }
  for (const r of after.regions) {
    const b = old.get(r.location);
    if (!b) continue;
    const zones = JSON.stringify(b.zones) !== JSON.stringify(r.zones);
    const units = b.capacity !== r.capacity && !r.primary;
    if (zones && TIER_REGIONS[after.sku].zones === "atCreation") {
      changes.push({
        kind: "refused",
        resource: `gateway region ${r.location}`,
        what: `zones ${JSON.stringify(b.zones)} -> ${JSON.stringify(r.zones)}`,
        effect: `${after.sku} sets zone redundancy only when a service is created (Learn, API Management zone redundancy): deploy a new gateway for it`,
      });
    } else if (zones || units) {
      changes.push({
        kind: "update",
        resource: `gateway region ${r.location}`,
        what: [
          ...(units ? [`capacity ${b.capacity} -> ${r.capacity}`] : []),
          ...(zones ? [`zones ${JSON.stringify(b.zones)} -> ${JSON.stringify(r.zones)}`] : []),
        ].join(", "),
        effect: classic
          ? "in place; a classic location rescales in 30-60+ minutes, the gateway keeps serving"
          : "in place, the gateway keeps serving",
      });
    }
  }
  return changes;
}
