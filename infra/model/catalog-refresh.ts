/**
 * `aoai-gateway catalog refresh` (issue #19): rebuild infra/data/model-catalog.json from what the models
 * API (`.../locations/{l}/models`) answers for the stack's regions, keeping the file's format (named region
 * sets, per-type PTU rules, units) and its provenance (`sources`, `readOn`, and a `refreshed` record: when, from where, which regions).
 *
 * Only the regions read change: a region read that no longer offers a model and type is taken out of its
 * set, one that offers it is put in; regions not read keep what the file said. Versions add up (a version
 * the file lists and no region read offers stays: other regions may). PTU minimum and increment come from
 * the API's capacity minimum and step of provisioned SKUs when it gives them. Pure.
 */
import { DEPLOYMENT_TYPES, type DeploymentType } from "../config/schema";
import type { RegionModel } from "./quota";

export interface CatalogFileType {
  regions: string;
  ptu?: { minimum: number; increment: number };
}

export interface CatalogFileModel {
  versions: string[];
  unit?: "tokens" | "requests";
  rpmPerUnit?: number;
  types: Record<string, CatalogFileType>;
}

export interface CatalogFile {
  $comment: string;
  readOn: string;
  /** Set by `catalog refresh`: when, from where and for which regions the file was last rebuilt. */
  refreshed?: { on: string; by: string; from: string; regions: string[] };
  sources: string[];
  regionSets: Record<string, string[]>;
  models: Record<string, CatalogFileModel>;
}

export interface RefreshInput {
  /** Region -> the models it offers (one subscription's answer per region is enough: the offer is regional). */
  readonly regions: ReadonlyMap<string, readonly RegionModel[]>;
  /** yyyy-mm-dd */
  readonly readOn: string;
  /** Where it was read from, for provenance, e.g. the ARM endpoint and API version. */
  readonly source: string;
}

export interface RefreshResult {
  readonly file: CatalogFile;
  /** One line per change, for the command's summary. */
  readonly changes: readonly string[];
}

const isType = (s: string): s is DeploymentType => (DEPLOYMENT_TYPES as readonly string[]).includes(s);

/** Rebuild the catalog file from the models the read regions offer. */
export function refreshCatalog(current: CatalogFile, input: RefreshInput): RefreshResult {
  const read = [...input.regions.keys()].sort();
  const changes: string[] = [];
  // Expand every (model, type) to its region list.
  const offers = new Map<string, { model: string; sku: string; regions: Set<string>; ptu?: CatalogFileType["ptu"] }>();
  const key = (model: string, sku: string) => `${model}\u0000${sku}`;
  const versions = new Map<string, Set<string>>();
  for (const [model, entry] of Object.entries(current.models)) {
    versions.set(model, new Set(entry.versions));
    for (const [sku, t] of Object.entries(entry.types)) {
      offers.set(key(model, sku), {
        model,
        sku,
        regions: new Set(current.regionSets[t.regions] ?? []),
        ...(t.ptu ? { ptu: { ...t.ptu } } : {}),
      });
    }
  }
  // Regions read: what the API says replaces what the file said.
  for (const offer of offers.values()) for (const region of read) offer.regions.delete(region);
  for (const region of read) {
    for (const m of input.regions.get(region) ?? []) {
      if (m.format !== "OpenAI") continue;
      for (const s of m.skus) {
        if (!isType(s.name)) continue;
        if (!versions.has(m.name)) changes.push(`added model ${m.name}`);
        const v = versions.get(m.name) ?? new Set<string>();
        if (!v.has(m.version)) changes.push(`added ${m.name} version ${m.version}`);
        v.add(m.version);
        versions.set(m.name, v);
        const k = key(m.name, s.name);
        const offer = offers.get(k) ?? { model: m.name, sku: s.name, regions: new Set<string>() };
        offer.regions.add(region);
        if (s.name.includes("Provisioned") && s.capacity?.minimum !== undefined && s.capacity.step !== undefined) {
          offer.ptu = { minimum: s.capacity.minimum, increment: s.capacity.step };
        } else if (s.name.includes("Provisioned") && !offer.ptu) {
          offer.ptu = { minimum: 1, increment: 1 };
        }
        offers.set(k, offer);
      }
    }
  }
  // Region sets: reuse an existing set with exactly the same regions, else name a new one after the model and type.
  const sets: Record<string, string[]> = {};
  const setFor = (regions: string[], model: string, sku: string): string => {
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((r, i) => r === b[i]);
    const named = Object.entries(current.regionSets).find(([, r]) => same([...r].sort(), regions));
    const name = named?.[0] ?? Object.entries(sets).find(([, r]) => same(r, regions))?.[0] ?? `${model}-${sku}`;
    sets[name] = regions;
    return name;
  };
  const models: Record<string, CatalogFileModel> = {};
  for (const model of [...versions.keys()].sort((a, b) => a.localeCompare(b))) {
    const before = current.models[model];
    const types: Record<string, CatalogFileType> = {};
    for (const sku of DEPLOYMENT_TYPES) {
      const offer = offers.get(key(model, sku));
      if (!offer) continue;
      const regions = [...offer.regions].sort();
      if (regions.length === 0) {
        if (before?.types[sku]) changes.push(`removed ${model} ${sku} (no region offers it)`);
        continue;
      }
      const was = before?.types[sku] ? [...(current.regionSets[before.types[sku].regions] ?? [])].sort() : [];
      const added = regions.filter((r) => !was.includes(r));
      const removed = was.filter((r) => !regions.includes(r));
      if (before?.types[sku] && (added.length > 0 || removed.length > 0)) {
        changes.push(
          `${model} ${sku}: ${[added.length > 0 ? `+${added.join(", +")}` : "", removed.length > 0 ? `-${removed.join(", -")}` : ""].filter(Boolean).join(" ")}`,
        );
      }
      types[sku] = { regions: setFor(regions, model, sku), ...(offer.ptu ? { ptu: offer.ptu } : {}) };
    }
    if (Object.keys(types).length === 0) continue;
    models[model] = {
      versions: [...(versions.get(model) ?? [])].sort(),
      ...(before?.unit ? { unit: before.unit } : {}),
      ...(before?.rpmPerUnit !== undefined ? { rpmPerUnit: before.rpmPerUnit } : {}),
      types,
    };
  }
  return {
    file: {
      $comment: current.$comment,
      readOn: input.readOn,
      refreshed: { on: input.readOn, by: "aoai-gateway catalog refresh", from: input.source, regions: read },
      sources: current.sources.includes(input.source) ? current.sources : [...current.sources, input.source],
      regionSets: Object.fromEntries(Object.entries(sets).sort(([a], [b]) => a.localeCompare(b))),
      models,
    },
    changes,
  };
}
