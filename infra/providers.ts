/**
 * One explicit azure-native provider per subscription alias. Every Azure
 * resource gets one of these, and the stacks set
 * `pulumi:disable-default-providers: [azure-native]`, so nothing can land in
 * whatever subscription the deploying identity happens to default to.
 *
 * Logical names come from the alias and never from the subscription id, and a
 * provider's subscriptionId must not be edited in place: azure-native does not
 * move or replace resources when it changes (pulumi-azure-native DiffConfig is
 * a no-op), so re-pointing an alias orphans what it deployed.
 */
import * as azure from "@pulumi/azure-native";
import type { SubscriptionModel } from "./model/topology";

export type Providers = ReadonlyMap<string, azure.Provider>;

export function providerName(alias: string): string {
  return `azure-${alias}`;
}

export function createProviders(subscriptions: readonly SubscriptionModel[]): Providers {
  return new Map(
    subscriptions.map((s) => [s.alias, new azure.Provider(providerName(s.alias), { subscriptionId: s.id })]),
  );
}

export function providerFor(providers: Providers, alias: string): azure.Provider {
  const p = providers.get(alias);
  if (!p) throw new Error(`no provider for subscription alias ${alias}`);
  return p;
}
