/**
 * The simulation's time series as a standalone SVG (no script, no external
 * resources): axes with ticks and units, labelled lines, a legend, and a
 * title that states the stack, mode and load. Every text is XML-escaped.
 */
import { xmlEscape as escapeXml } from "../model/xml";
import type { SimulationResult } from "./simulate";

/** A "nice" axis step (1, 2 or 5 x 10^n) giving about `ticks` intervals up to `max`. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function compact(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}K`;
  return `${+v.toFixed(1)}`;
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m}:${String(s).padStart(2, "0")}`;
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
  readonly values: readonly number[];
  readonly axis: "left" | "right";
}

export function renderChart(result: SimulationResult, title: string): string {
  const W = 960;
  const H = 480;
  const left = 90;
  const right = 90;
  const top = 60;
  const bottom = 110;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const pts = result.timeSeries.points;
  const duration = result.durationSeconds;
  const bucket = result.timeSeries.bucketSeconds;

  const series: Series[] = [
    { label: "offered TPM", color: "#1f77b4", values: pts.map((p) => p.offeredTpm), axis: "left" },
    { label: "served TPM", color: "#2ca02c", values: pts.map((p) => p.servedTpm), axis: "left" },
    {
      label: "plan usable TPM",
      color: "#555555",
      dash: "6 4",
      values: pts.map(() => result.totalTpm),
      axis: "left",
    },
    { label: "client 429 per minute", color: "#d62728", values: pts.map((p) => p.client429Rpm), axis: "right" },
    { label: "client 5xx per minute", color: "#9467bd", values: pts.map((p) => p.client5xxRpm), axis: "right" },
  ];
  const maxLeft = Math.max(1, ...series.filter((s) => s.axis === "left").flatMap((s) => s.values));
  const maxRight = Math.max(1, ...series.filter((s) => s.axis === "right").flatMap((s) => s.values));
  const stepL = niceStep(maxLeft);
  const stepR = niceStep(maxRight);
  const topL = Math.ceil(maxLeft / stepL) * stepL;
  const topR = Math.ceil(maxRight / stepR) * stepR;
  const x = (t: number) => left + (pw * t) / duration;
  const yL = (v: number) => top + ph - (ph * v) / topL;
  const yR = (v: number) => top + ph - (ph * v) / topR;
  const f = (v: number) => v.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" fill="#444444">${escapeXml(
      `served ${(result.servedShare * 100).toFixed(1)}% of ${result.offeredRequests.toLocaleString("en-US")} requests; ${result.client429Requests.toLocaleString("en-US")} client 429s; ${bucket}-second buckets`,
    )}</text>`,
  );
  // Grid and left axis.
  for (let v = 0; v <= topL + 1e-9; v += stepL) {
    out.push(
      `<line x1="${left}" y1="${f(yL(v))}" x2="${left + pw}" y2="${f(yL(v))}" stroke="#e0e0e0"/>`,
      `<text x="${left - 8}" y="${f(yL(v) + 4)}" text-anchor="end">${escapeXml(compact(v))}</text>`,
    );
  }
  for (let v = 0; v <= topR + 1e-9; v += stepR) {
    out.push(
      `<text x="${left + pw + 8}" y="${f(yR(v) + 4)}" text-anchor="start" fill="#d62728">${escapeXml(compact(v))}</text>`,
    );
  }
  const stepT = niceStep(duration / 60, 8) * 60;
  for (let t = 0; t <= duration + 1e-9; t += stepT) {
    out.push(
      `<line x1="${f(x(t))}" y1="${top + ph}" x2="${f(x(t))}" y2="${top + ph + 5}" stroke="#333333"/>`,
      `<text x="${f(x(t))}" y="${top + ph + 20}" text-anchor="middle">${escapeXml(clock(t))}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333333"/>`,
    `<line x1="${left + pw}" y1="${top}" x2="${left + pw}" y2="${top + ph}" stroke="#d62728"/>`,
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333333"/>`,
    `<text x="${left + pw / 2}" y="${top + ph + 40}" text-anchor="middle">simulated time (minutes:seconds)</text>`,
    `<text transform="translate(24 ${top + ph / 2}) rotate(-90)" text-anchor="middle">tokens per minute</text>`,
    `<text transform="translate(${W - 20} ${top + ph / 2}) rotate(90)" text-anchor="middle" fill="#d62728">client errors per minute</text>`,
  );
  for (const s of series) {
    const y = s.axis === "left" ? yL : yR;
    const d = pts.map(
      (p, i) => `${i === 0 ? "M" : "L"}${f(x(Math.min(duration, p.t + bucket / 2)))} ${f(y(s.values[i]))}`,
    );
    out.push(
      `<path d="${d.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}>` +
        `<title>${escapeXml(s.label)}</title></path>`,
    );
  }
  // Legend below the plot.
  const legendY = top + ph + 70;
  const itemW = pw / series.length;
  series.forEach((s, i) => {
    const lx = left + i * itemW;
    out.push(
      `<line x1="${f(lx)}" y1="${legendY}" x2="${f(lx + 24)}" y2="${legendY}" stroke="${s.color}" stroke-width="3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
      `<text x="${f(lx + 30)}" y="${legendY + 4}">${escapeXml(`${s.label}${s.axis === "right" ? " (right axis)" : ""}`)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
