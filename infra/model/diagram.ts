/**
 * A stack's own topology as a picture (issue #14): the gateway, each route
 * (its pool in pool mode) and every member with its subscription, region,
 * deployment type, capacity, priority and weight. Mermaid for the README and
 * pull request comments (GitHub renders it), SVG for a file anyone can open
 * without a browser plugin. Pure: built from the plan, returns text.
 */
import { API_ID, API_PATH, poolId } from "./names";
import { type Plan, type PlanMember, type PlanNetwork, type PlanRoute, teamLimitText } from "./plan";
import { xmlEscape } from "./xml";

export const DIAGRAM_FORMATS = ["mermaid", "svg"] as const;
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

const n = (v: number) => v.toLocaleString("en-US");

/**
 * `100K TPM` for Standard types (capacity is thousands of TPM), `50 PTU` for provisioned ones, `6 RPM` for
 * request-metered models (images, whisper, tts: no TPM, issue #19).
 */
export function capacityLabel(m: PlanMember): string {
  const ptu = m.sku.includes("Provisioned");
  if (!ptu && m.capacityTpm === null && m.rpm !== null) return `${n(m.rpm)} RPM`;
  return ptu
    ? `${n(m.capacity)} PTU${m.capacityTpm === null ? "" : ` (~${n(m.capacityTpm)} TPM)`}`
    : `${n(m.capacity)}K TPM`;
}

/** How a member is picked: the label on the edge from its route. */
export function pickLabel(m: PlanMember): string {
  return `priority ${m.priority} · weight ${m.weight}`;
}

/** The member's lines: backend id, where it runs, what it is. */
export function memberLines(m: PlanMember): string[] {
  const lines = [m.backendId, `${m.subscription} · ${m.location}`, `${m.sku} · ${capacityLabel(m)}`];
  // issue #17: native spillover is part of its PTU member, not a route of its own.
  if (m.spillover) {
    lines.push(`+ spillover ${m.spillover.deployment} · ${m.spillover.sku} · ${n(m.spillover.capacity)}K TPM`);
  }
  return lines;
}

function routeLines(plan: Plan, r: PlanRoute): string[] {
  return [
    `route ${r.deployment} (${r.model})`,
    plan.gateway.routingMode === "pool" ? `pool ${poolId(r.deployment)}` : "picked by the policy",
  ];
}

function gatewayLines(plan: Plan): string[] {
  const g = plan.gateway;
  return [
    `API Management ${g.serviceName}`,
    `${g.sku}${g.capacity > 0 ? ` · ${g.capacity} unit${g.capacity === 1 ? "" : "s"}` : ""} · ${g.location} · ${g.subscription}`,
    `API ${API_ID} at /${API_PATH} · ${g.routingMode} mode`,
  ];
}

function clientLines(plan: Plan): string[] {
  return [
    "clients",
    plan.consumers.length > 0 ? `keys: ${plan.consumers.join(", ")}` : "no consumers yet",
    // issue #17: team limits are part of the picture.
    ...plan.teams.filter((t) => t.limitFrom !== "none").map((t) => `${t.name}: ${teamLimitText(t)}`),
  ];
}

/** A member is spillover when a group with a lower priority number exists in its route. */
function isSpillover(r: PlanRoute, m: PlanMember): boolean {
  return r.members.some((o) => o.priority < m.priority);
}

/** Mermaid label text: quotes and markup characters as Mermaid entity codes, lines joined with <br/>. */
function mermaidLabel(lines: readonly string[]): string {
  const esc = (t: string) =>
    t.replace(/&/g, "#amp;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  return `"${lines.map(esc).join("<br/>")}"`;
}

/** The topology as a Mermaid flowchart, members grouped by Azure OpenAI account. */
export function mermaidDiagram(plan: Plan): string {
  const out = ["flowchart LR"];
  out.push(`  clients([${mermaidLabel(clientLines(plan))}])`);
  out.push(`  gateway[${mermaidLabel(gatewayLines(plan))}]`);
  out.push(`  clients -->|${mermaidLabel([plan.gateway.url])}| gateway`);
  const accounts = new Map<string, { label: string; nodes: string[] }>();
  const edges: string[] = [];
  plan.routes.forEach((r, i) => {
    out.push(`  r${i}{{${mermaidLabel(routeLines(plan, r))}}}`);
    edges.push(`  gateway -->|${mermaidLabel([`/${API_PATH}/deployments/${r.deployment}`])}| r${i}`);
    r.members.forEach((m, j) => {
      const id = `m${i}_${j}`;
      const account = accounts.get(m.account) ?? {
        label: m.account,
        nodes: [],
      };
      account.nodes.push(`    ${id}[${mermaidLabel(memberLines(m))}]`);
      accounts.set(m.account, account);
      edges.push(`  r${i} ${isSpillover(r, m) ? "-.->" : "-->"}|${mermaidLabel([pickLabel(m)])}| ${id}`);
    });
  });
  const accountIds = new Map<string, string>();
  [...accounts.values()].forEach((a, k) => {
    accountIds.set(a.label, `a${k}`);
    out.push(`  subgraph a${k}[${mermaidLabel([`account ${a.label}`])}]`, ...a.nodes, "  end");
  });
  out.push(...edges);
  if (plan.network) out.push(...mermaidNetwork(plan.network, accountIds));
  return out.join("\n") + "\n";
}

/** The private network (issue #20): the network with its subnets and endpoints, the zones, who reaches what. */
function mermaidNetwork(net: PlanNetwork, accountIds: ReadonlyMap<string, string>): string[] {
  const out = [`  subgraph vnet[${mermaidLabel([`virtual network ${net.virtualNetwork}`])}]`];
  out.push(
    `    gwsubnet[${mermaidLabel([`gateway subnet ${net.gatewaySubnet.subnet}`, `${net.mode} · delegation ${net.gatewaySubnet.delegation ?? "none"}`])}]`,
  );
  net.privateEndpoints.forEach((e, i) =>
    out.push(`    pe${i}[${mermaidLabel([`private endpoint ${e.name}`, `group ${e.groupId}`])}]`),
  );
  out.push("  end");
  net.dnsZones.forEach((z, i) =>
    out.push(`  zone${i}[(${mermaidLabel([z.zone, z.linked ? "linked to the network" : "linked by its owner"])})]`),
  );
  out.push(`  internet((${mermaidLabel(["internet"])}))`);
  out.push(`  gateway -.->|${mermaidLabel(["calls leave through"])}| gwsubnet`);
  out.push(`  gwsubnet -->|${mermaidLabel(["resolves"])}| zone0`);
  net.privateEndpoints.forEach((e, i) => {
    const zone = net.dnsZones.findIndex((z) => z.zone === e.zone);
    if (zone >= 0) out.push(`  pe${i} -.-|${mermaidLabel(["A record"])}| zone${zone}`);
    const target = e.key === "gateway" ? "gateway" : accountIds.get(e.key);
    if (target) out.push(`  pe${i} -->|${mermaidLabel([e.groupId])}| ${target}`);
  });
  for (const [key, id] of accountIds) {
    out.push(
      net.publicAccounts.includes(key)
        ? `  internet -->|${mermaidLabel(["public access Enabled"])}| ${id}`
        : `  internet -.-x|${mermaidLabel(["public access Disabled"])}| ${id}`,
    );
  }
  return out;
}

const FONT = 12;
/** Advance of one character of a 12 px monospace font (0.6 em), used to size boxes. */
const CHAR = 7.3;
const LINE = 16;
const PAD = 10;
const GAP = 12;
const ROUTE_GAP = 28;
const EDGE = 190;

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly lines: readonly string[];
  readonly fill: string;
}

const boxWidth = (lines: readonly string[]) => Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR + 2 * PAD);
const boxHeight = (lines: readonly string[]) => lines.length * LINE + 2 * PAD - 4;

function svgBox(b: Box): string {
  const text = b.lines
    .map(
      (l, i) =>
        `<text x="${b.x + PAD}" y="${b.y + PAD + FONT + i * LINE}"${i === 0 ? ' font-weight="bold"' : ""}>${xmlEscape(l)}</text>`,
    )
    .join("");
  return `<g><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="${b.fill}" stroke="#333"/>${text}</g>`;
}

function svgEdge(from: Box, to: Box, label: string | null, dashed: boolean): string {
  const x1 = from.x + from.w;
  const y1 = from.y + from.h / 2;
  const x2 = to.x;
  const y2 = to.y + to.h / 2;
  const line = `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" marker-end="url(#arrow)"${dashed ? ' stroke-dasharray="6 4"' : ""}/>`;
  if (label === null) return line;
  // The label sits near the target end, above the line, where edges from one route fan out.
  const lx = x2 - 8;
  const ly = y2 - 4;
  return `${line}<text x="${lx}" y="${ly}" text-anchor="end" font-size="11" fill="#222">${xmlEscape(label)}</text>`;
}

/**
 * The topology as a standalone SVG document: columns clients, gateway,
 * routes, members; one row per member, each route centred on its members;
 * spillover edges dashed. Monospace text, so box sizes follow the text.
 */
export function svgDiagram(plan: Plan): string {
  const title = `aoai-gateway ${plan.gateway.name}: ${plan.routes.length} route${plan.routes.length === 1 ? "" : "s"}, total ${n(plan.totalTpm)} TPM usable`;
  const top = 20 + LINE + GAP;
  const memberW = Math.max(...plan.routes.flatMap((r) => r.members.map((m) => boxWidth(memberLines(m)))));
  const routeW = Math.max(...plan.routes.map((r) => boxWidth(routeLines(plan, r))));
  const clients: Omit<Box, "y"> = {
    x: 20,
    w: boxWidth(clientLines(plan)),
    h: 0,
    lines: clientLines(plan),
    fill: "#fff",
  };
  const gwLines = gatewayLines(plan);
  const gwX = clients.x + clients.w + 60;
  const gwW = boxWidth(gwLines);
  const routeX = gwX + gwW + 60;
  const memberX = routeX + routeW + EDGE;

  const boxes: Box[] = [];
  const edges: string[] = [];
  const routeBoxes: Box[] = [];
  let y = top;
  for (const r of plan.routes) {
    const memberBoxes = r.members.map((m) => {
      const lines = memberLines(m);
      const b: Box = {
        x: memberX,
        y,
        w: memberW,
        h: boxHeight(lines),
        lines,
        fill: isSpillover(r, m) ? "#fdf3e1" : "#e6f2e6",
      };
      y += b.h + GAP;
      return b;
    });
    const lines = routeLines(plan, r);
    const h = boxHeight(lines);
    const first = memberBoxes[0];
    const last = memberBoxes[memberBoxes.length - 1];
    const centre = (first.y + last.y + last.h) / 2;
    const routeBox: Box = { x: routeX, y: centre - h / 2, w: routeW, h, lines, fill: "#e8eef9" };
    routeBoxes.push(routeBox);
    boxes.push(routeBox, ...memberBoxes);
    r.members.forEach((m, j) => edges.push(svgEdge(routeBox, memberBoxes[j], pickLabel(m), isSpillover(r, m))));
    y += ROUTE_GAP - GAP;
  }
  const bottom = Math.max(y, top + boxHeight(gwLines) + GAP);
  const middle = (top + bottom - GAP) / 2;
  const gw: Box = {
    x: gwX,
    y: middle - boxHeight(gwLines) / 2,
    w: gwW,
    h: boxHeight(gwLines),
    lines: gwLines,
    fill: "#dde7f7",
  };
  const cl: Box = { ...clients, y: middle - boxHeight(clients.lines) / 2, h: boxHeight(clients.lines) };
  edges.unshift(svgEdge(cl, gw, null, false), ...routeBoxes.map((rb) => svgEdge(gw, rb, null, false)));
  const netLines = plan.network ? networkLines(plan.network) : [];
  const netBox: Box | undefined =
    netLines.length > 0
      ? { x: 20, y: bottom + GAP, w: boxWidth(netLines), h: boxHeight(netLines), lines: netLines, fill: "#eef6f0" }
      : undefined;
  const width = Math.max(memberX + memberW + 20, netBox ? netBox.x + netBox.w + 20 : 0);
  const height = (netBox ? netBox.y + netBox.h : bottom) + 20;
  return (
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="${FONT}">`,
      `<title>${xmlEscape(title)}</title>`,
      `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>`,
      `<rect width="100%" height="100%" fill="#fff"/>`,
      `<text x="20" y="${20 + FONT}" font-weight="bold">${xmlEscape(title)}</text>`,
      ...edges,
      ...[cl, gw, ...boxes, ...(netBox ? [netBox] : [])].map(svgBox),
      `</svg>`,
    ].join("\n") + "\n"
  );
}

/** The network box of the SVG: mode, network, subnets, endpoints, zones, who reaches what (issue #20). */
export function networkLines(net: PlanNetwork): string[] {
  return [
    `private network · gateway mode ${net.mode} · approval ${net.approval}`,
    `virtual network ${net.virtualNetwork}`,
    `gateway subnet ${net.gatewaySubnet.subnet} (${net.gatewaySubnet.source}, delegation ${net.gatewaySubnet.delegation ?? "none"})`,
    `endpoint subnet ${net.privateEndpointSubnet.subnet} (${net.privateEndpointSubnet.source})`,
    ...net.privateEndpoints.map((e) => `private endpoint ${e.name} -> ${e.target} (${e.groupId})`),
    ...net.dnsZones.map(
      (z) => `zone ${z.zone} (${z.source === "created" ? "created" : "existing"}${z.linked ? ", linked" : ""})`,
    ),
    ...net.reach,
  ];
}

export function diagram(plan: Plan, format: DiagramFormat): string {
  return format === "svg" ? svgDiagram(plan) : mermaidDiagram(plan);
}
