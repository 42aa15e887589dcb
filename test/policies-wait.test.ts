/**
 * Issue #21 in the rendered policy text: the bounded wait's polling retry and the operator-only pinned-member
 * header, on the test-owned fixture test/fixtures/smoke/Pulumi.smoke.yaml. Behaviour is executed in
 * test/emulator/scenarios (bounded-wait*.json, all-throttled.json, pinned-member.json).
 */
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { loadTopology } from "../infra/cli/common";
import { renderPolicies } from "../infra/policies/render";

const FIXTURE = join(__dirname, "fixtures", "smoke", "Pulumi.smoke.yaml");

function xmlWith(routing: Record<string, unknown>): string {
  const topology = loadTopology(FIXTURE, (raw) => {
    raw.routing = { ...(raw.routing as object | undefined), ...routing };
  });
  return renderPolicies(topology)[0].xml;
}

interface El {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: El[];
}

function parse(xml: string): El {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "" });
  const walk = (items: Record<string, unknown>[]): El[] =>
    items
      .filter((i) => !("#text" in i) && !("#comment" in i))
      .map((i) => {
        const name = Object.keys(i).find((k) => k !== ":@") ?? "";
        return {
          name,
          attrs: (i[":@"] as Record<string, string> | undefined) ?? {},
          children: walk((i[name] as Record<string, unknown>[]) ?? []),
        };
      });
  return walk(parser.parse(xml) as Record<string, unknown>[])[0];
}

function all(el: El, name: string): El[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

const section = (root: El, name: string) => root.children.find((c) => c.name === name) as El;

describe("bounded wait (routing.maxWaitSeconds)", () => {
  it("polls once a second, first turn not fast, for the default 10 s: count 11", () => {
    const outer = all(section(parse(xmlWith({})), "backend"), "retry")[0];
    expect([outer.attrs.interval, outer.attrs["first-fast-retry"], outer.attrs.count]).toEqual(["1", "false", "11"]);
  });

  it("sets the deadline maxWaitSeconds after the backend section starts", () => {
    expect(xmlWith({ maxWaitSeconds: 7 })).toContain(
      '<set-variable name="aoai-wait-deadline" value="@(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 7)" />',
    );
  });

  it("counts 31 turns for the largest maximum, 30 s (APIM allows at most 50)", () => {
    const outer = all(section(parse(xmlWith({ maxWaitSeconds: 30 })), "backend"), "retry")[0];
    expect(outer.attrs.count).toBe("31");
  });

  it("renders only the selection loop when maxWaitSeconds is 0", () => {
    const xml = xmlWith({ maxWaitSeconds: 0 });
    expect(all(parse(xml), "retry").map((r) => r.attrs.interval)).toEqual(["0"]);
    expect(xml).not.toContain("aoai-wait-deadline");
  });
});

describe("pinned-member header", () => {
  const inbound = section(parse(xmlWith({})), "inbound");

  it("removes x-aoai-gateway-member for every caller, outside any condition", () => {
    const deletes = inbound.children.filter((c) => c.name === "set-header" && c.attrs.name === "x-aoai-gateway-member");
    expect(deletes.map((d) => d.attrs["exists-action"])).toEqual(["delete"]);
  });

  it("honours the header only when the caller's subscription is aoai-gateway-operator", () => {
    const honoured = all(inbound, "when").filter((w) => (w.attrs.condition ?? "").includes("x-aoai-gateway-member"));
    expect(honoured).toHaveLength(1);
    expect(honoured[0].attrs.condition).toContain('context.Subscription.Id == "aoai-gateway-operator"');
  });
});
