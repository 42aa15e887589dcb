/**
 * The harness derives the emulator's inputs from the program itself: these
 * tests pin that the gateway description holds exactly what `up` sends and
 * that the simulated accounts mirror the topology.
 */
import { describe, expect, it } from "vitest";
import { regionalPriorities } from "../../infra/model/gateway-regions";
import type { RouteModel, Topology } from "../../infra/model/topology";
import { routePoolFor } from "../../infra/policies/render";
import {
  EMULATOR_TEST_TIMEOUT_MS,
  LIMITER_WINDOW_SECONDS,
  ROUTING_MODES,
  accountUrl,
  emulatorSkipReason,
  gatewayFor,
  stacks,
  topologyFor,
  upstreamsFor,
} from "./harness";

/**
 * The pools of a route in pool mode with their member priorities: one per gateway region when locality is on
 * and the gateway has several regions (issue #22), else the route's own pool.
 */
function expectedPools(topology: Topology, route: RouteModel): { id: string; priorities: number[] }[] {
  const regions = route.locality !== "off" ? topology.gateway.regions : topology.gateway.regions.slice(0, 1);
  return regions.map((region) => ({
    id: routePoolFor(route.name, region.location, topology.gateway),
    priorities:
      route.locality === "off"
        ? route.members.map((m) => m.priority)
        : regionalPriorities(route.members, region.location, route.locality),
  }));
}

/** Several v2 gateways each hold the same backends and subscriptions: the gateway JSON lists them once per gateway. */
const distinct = <T>(items: readonly T[], key: (t: T) => string): T[] => [
  ...new Map(items.map((i) => [key(i), i])).values(),
];

describe.skipIf(emulatorSkipReason() !== null)("emulator harness", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const stack of stacks()) {
    for (const mode of ROUTING_MODES) {
      it.concurrent(
        `${stack} ${mode} mode: the gateway has one backend per route member, plus one pool per route in pool mode`,
        async () => {
          const topology = topologyFor(stack, mode);
          const { gateway } = await gatewayFor(stack, mode);
          const members = topology.routes.flatMap((r) => r.members.map((m) => m.backendId));
          const pools =
            mode === "pool" ? topology.routes.flatMap((r) => expectedPools(topology, r).map((p) => p.id)) : [];
          expect(
            distinct(gateway.backends, (b) => b.id)
              .map((b) => b.id)
              .sort(),
          ).toEqual([...members, ...pools].sort());
        },
      );

      it.concurrent(`${stack} ${mode} mode: each member backend's URL is on its account's host`, async () => {
        const topology = topologyFor(stack, mode);
        const { gateway } = await gatewayFor(stack, mode);
        for (const m of topology.routes.flatMap((r) => r.members)) {
          const b = gateway.backends.find((x) => x.id === m.backendId);
          expect({ id: m.backendId, url: b?.url }).toEqual({
            id: m.backendId,
            url: `${accountUrl(m.accountEndpoint)}/openai`,
          });
        }
      });

      it.concurrent(
        `${stack} ${mode} mode: each pool lists its route's members with their priority and weight`,
        async () => {
          const topology = topologyFor(stack, mode);
          const { gateway } = await gatewayFor(stack, mode);
          const pools = distinct(gateway.backends, (b) => b.id).filter((b) => b.type === "Pool");
          const expected =
            mode === "pool"
              ? topology.routes.flatMap((r) => expectedPools(topology, r).map((p) => ({ route: r, ...p })))
              : [];
          expect(pools.length).toBe(expected.length);
          for (const { route, id, priorities } of expected) {
            const pool = pools.find((p) => p.id === id);
            expect(pool?.pool?.services).toEqual(
              route.members.map((m, i) => ({ id: m.backendId, priority: priorities[i], weight: m.weight })),
            );
          }
        },
      );

      it.concurrent(
        `${stack} ${mode} mode: every consumer, and the operator (issue #21), has a subscription key key-<name>`,
        async () => {
          const topology = topologyFor(stack, mode);
          const { gateway } = await gatewayFor(stack, mode);
          // Several gateway regions list the same subscriptions once per gateway (#22): distinct keys.
          expect(
            distinct(gateway.subscriptions, (s) => s.key)
              .map((s) => s.key)
              .sort(),
          ).toEqual([...topology.consumers.map((c) => `key-${c.name}`), "key-aoai-gateway-operator"].sort());
        },
      );
    }

    it(`${stack}: the simulated accounts have exactly the topology's deployments, limited at each member's quota`, () => {
      const topology = topologyFor(stack, "pool");
      const entries = upstreamsFor(topology, { limiters: true });
      const expected = topology.accounts.flatMap((a) =>
        a.deployments.map((d) => ({
          url: accountUrl(a.endpoint),
          deployment: d.name,
          rateLimit:
            d.capacityTpm === null
              ? undefined
              : {
                  tpm: d.capacityTpm,
                  ...(d.rpm !== null ? { rpm: d.rpm } : {}),
                  windowSeconds: LIMITER_WINDOW_SECONDS,
                },
        })),
      );
      const key = (e: { url: string; deployment: string }) => `${e.url} ${e.deployment}`;
      expect(
        entries
          .map((e) => ({ url: e.url, deployment: e.deployment, rateLimit: e.rateLimit }))
          .sort((a, b) => key(a).localeCompare(key(b))),
      ).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
    });
  }
});
