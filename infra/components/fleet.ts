/**
 * The Azure OpenAI fleet: one OpenAiAccount per account in the topology, each
 * under the explicit provider of its own subscription (issue #3).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../model/topology";
import { type Providers, providerFor } from "../providers";
import { OpenAiAccount } from "./openai-account";

export interface OpenAiFleetArgs {
  /** Required. The topology whose accounts to deploy. */
  readonly topology: Topology;
  /** Required. One provider per subscription alias (providers.ts). */
  readonly providers: Providers;
}

export class OpenAiFleet extends pulumi.ComponentResource {
  /** Accounts by topology key (`<alias>-<region>[-n]`). */
  public readonly accounts: ReadonlyMap<string, OpenAiAccount>;

  constructor(name: string, args: OpenAiFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aoai-gateway:fleet:OpenAiFleet", name, {}, opts);
    this.accounts = new Map(
      args.topology.accounts.map((account) => [
        account.key,
        new OpenAiAccount(
          `${name}-${account.key}`,
          { account, provider: providerFor(args.providers, account.subscription.alias) },
          { parent: this },
        ),
      ]),
    );
    this.registerOutputs({});
  }
}
