/**
 * The program's view of stack config: the engine's config map through the
 * same validation and model the CLI uses. A bad config stops the program here,
 * before any resource is registered, with the validator's messages and no
 * stack trace (pulumi.RunError).
 */
import * as pulumi from "@pulumi/pulumi";
import { namespaceConfig } from "./config/load";
import { ConfigError, validateConfig } from "./config/validate";
import { buildTopology, type Topology } from "./model/topology";

export function loadProgramTopology(): Topology {
  try {
    const all = pulumi.runtime.allConfig();
    return buildTopology(validateConfig(namespaceConfig(all), { stackKeys: Object.keys(all) }));
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
