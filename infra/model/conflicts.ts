/**
 * Stacks that would fight (issue #17): two stack files whose programs would create the same Azure
 * resources, because every name derives from the config (names.ts) and so does a copied stack file
 * (`cp stacks/Pulumi.dev.yaml stacks/Pulumi.qa.yaml`). Both `up`s would claim one API Management
 * service, resource group or Azure OpenAI account: the second fails or takes it over, and destroying
 * either stack deletes what the other serves from. Pure: compares two topologies.
 */
import type { Topology } from "./topology";

export interface StackConflict {
  /** The other stack file, as given. */
  readonly file: string;
  readonly kind: "gateway" | "resource group" | "account";
  /** The Azure names both stacks would create, sorted. */
  readonly names: readonly string[];
  readonly subscriptionIds: readonly string[];
}

interface Owned {
  readonly kind: StackConflict["kind"];
  readonly name: string;
  readonly subscriptionId: string;
}

/** Every named resource a stack creates and owns (existing resource groups are shared on purpose, not owned). */
function owned(t: Topology): Owned[] {
  const out: Owned[] = [{ kind: "gateway", name: t.gateway.serviceName, subscriptionId: t.gateway.subscription.id }];
  if (!t.gateway.resourceGroup.existing) {
    out.push({ kind: "resource group", name: t.gateway.resourceGroup.name, subscriptionId: t.gateway.subscription.id });
  }
  for (const a of t.accounts) {
    out.push({ kind: "account", name: a.name, subscriptionId: a.subscription.id });
    if (!a.resourceGroup.existing) {
      out.push({ kind: "resource group", name: a.resourceGroup.name, subscriptionId: a.subscription.id });
    }
  }
  return out;
}

const KINDS: readonly StackConflict["kind"][] = ["gateway", "resource group", "account"];

/** What `mine` and each other stack would both create (same Azure name in the same subscription id). */
export function stackConflicts(
  mine: Topology,
  others: readonly { readonly file: string; readonly topology: Topology }[],
): StackConflict[] {
  const key = (o: Owned) => `${o.kind}|${o.subscriptionId.toLowerCase()}|${o.name.toLowerCase()}`;
  const ours = new Set(owned(mine).map(key));
  return others.flatMap(({ file, topology }) => {
    const shared = owned(topology).filter((o) => ours.has(key(o)));
    return KINDS.flatMap((kind) => {
      const of = shared.filter((o) => o.kind === kind);
      if (of.length === 0) return [];
      return [
        {
          file,
          kind,
          names: [...new Set(of.map((o) => o.name))].sort(),
          subscriptionIds: [...new Set(of.map((o) => o.subscriptionId))].sort(),
        },
      ];
    });
  });
}

/** One line per conflict, for `plan`. */
export function formatConflict(c: StackConflict): string {
  const what =
    c.kind === "gateway"
      ? `the same API Management service ${c.names[0]}`
      : `the same ${c.names.length === 1 ? c.kind : `${c.names.length} ${c.kind === "account" ? "accounts" : "resource groups"}`} ${c.names.join(", ")}`;
  return `${c.file} creates ${what} in subscription${c.subscriptionIds.length === 1 ? "" : "s"} ${c.subscriptionIds.join(", ")}`;
}

/** The text section `plan` appends when other stack files would fight over this stack's resources. */
export function formatConflicts(conflicts: readonly StackConflict[]): string {
  if (conflicts.length === 0) return "";
  const files = [...new Set(conflicts.map((c) => c.file))];
  return [
    `Stacks that would fight (${files.length} other stack file${files.length === 1 ? "" : "s"}): both would create and own the same Azure resources, so the second up fails or takes them over, and destroying either deletes what the other serves from:`,
    ...conflicts.map((c) => `  - ${formatConflict(c)}`),
    "  Give each stack its own gateway.name (every Azure name derives from it); environments usually get their own subscriptions too.",
    "",
  ].join("\n");
}
