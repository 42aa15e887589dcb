/**
 * The harness derives the emulator's inputs from the program itself: these
 * tests pin that the gateway description holds exactly what `up` sends and
 * that the simulated accounts mirror the topology.
 */
import { describe, expect, it } from "vitest";
import { poolId } from "../../infra/model/names";
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

describe.skipIf(emulatorSkipReason() !== null)("emulator harness", { timeout: EMULATOR_TEST_TIMEOUT_MS }, () => {
  for (const stack of stacks()) {
    for (const mode of ROUTING_MODES) {
      it.concurrent(
        `${stack} ${mode} mode: the gateway has one backend per route member, plus one pool per route in pool mode`,
        async () => {
          const topology = topologyFor(stack, mode);
          const { gateway } = await gatewayFor(stack, mode);
          const members = topology.routes.flatMap((r) => r.members.map((m) => m.backendId));
          const pools = mode === "pool" ? topology.routes.map((r) => poolId(r.name)) : [];
          expect(gateway.backends.map((b) => b.id).sort()).toEqual([...members, ...pools].sort());
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
          const pools = gateway.backends.filter((b) => b.type === "Pool");
          expect(pools.length).toBe(mode === "pool" ? topology.routes.length : 0);
          for (const route of mode === "pool" ? topology.routes : []) {
            const pool = pools.find((p) => p.id === poolId(route.name));
            expect(pool?.pool?.services).toEqual(
              route.members.map((m) => ({ id: m.backendId, priority: m.priority, weight: m.weight })),
            );
          }
        },
      );

      it.concurrent(
        `${stack} ${mode} mode: every consumer, and the operator (issue #21), has a subscription key key-<name>`,
        async () => {
          const topology = topologyFor(stack, mode);
          const { gateway } = await gatewayFor(stack, mode);
          expect(gateway.subscriptions.map((s) => s.key).sort()).toEqual(
            [...topology.consumers.map((c) => `key-${c.name}`), "key-aoai-gateway-operator"].sort(),
          );
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
