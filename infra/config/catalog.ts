/**
 * The model catalog (issue #11): which versions, deployment types and regions
 * offer each model, and the PTU minimum and increment of each provisioned
 * type. The dated file infra/data/model-catalog.json, plus a stack's own
 * additions (`aoai-gateway:modelCatalog`) for models newer than the file.
 * Pure: no Pulumi, no Azure.
 */
import data from "../data/model-catalog.json";
import type { CatalogEntry, DeploymentType } from "./schema";
import { didYouMean } from "./suggest";

export interface PtuRule {
  readonly minimum: number;
  readonly increment: number;
}

export interface TypeOffer {
  /** Regions that offer the type; null: every region (a stack override without regions). */
  readonly regions: ReadonlySet<string> | null;
  /** Provisioned types only. */
  readonly ptu?: PtuRule;
}

/** How a Standard-family deployment's capacity is counted (issue #19). */
export type CapacityUnit = "tokens" | "requests";

export interface TokenPriceOverride {
  readonly input: number;
  readonly cachedInput: number;
  readonly output: number;
}

export interface CatalogModel {
  readonly versions: ReadonlySet<string>;
  readonly types: ReadonlyMap<DeploymentType, TypeOffer>;
  /** tokens: 1 capacity unit = 1,000 TPM; requests: 1 unit = rpmPerUnit requests a minute (images, whisper, tts). */
  readonly unit: CapacityUnit;
  /** Request-metered models: requests a minute per capacity unit. */
  readonly rpmPerUnit?: number;
  /** A stack's own RPM ratio (modelCatalog), used before infra/data/quota-defaults.json's. */
  readonly rpmPer1000Tpm?: number;
  /** A stack's own token prices (modelCatalog), per 1M tokens, for every Standard-family type of the entry. */
  readonly prices?: TokenPriceOverride;
  /** A stack's own price per request (modelCatalog), request-metered models. */
  readonly usdPerRequest?: number;
}

export type Catalog = ReadonlyMap<string, CatalogModel>;

/** When the file was read from Microsoft's tables. */
export const CATALOG_READ_ON: string = data.readOn;

interface FileType {
  regions: string;
  ptu?: PtuRule;
}

interface FileModel {
  versions: string[];
  unit?: CapacityUnit;
  rpmPerUnit?: number;
  types: Record<string, FileType>;
}

interface MutableModel {
  versions: Set<string>;
  types: Map<DeploymentType, TypeOffer>;
  unit: CapacityUnit;
  rpmPerUnit?: number;
  rpmPer1000Tpm?: number;
  prices?: TokenPriceOverride;
  usdPerRequest?: number;
}

const REGION_SETS = data.regionSets as Record<string, string[]>;

function fileCatalog(): Map<string, MutableModel> {
  const out = new Map<string, MutableModel>();
  for (const [model, entry] of Object.entries(data.models as Record<string, FileModel>)) {
    const types = new Map<DeploymentType, TypeOffer>();
    for (const [sku, offer] of Object.entries(entry.types)) {
      const regions = REGION_SETS[offer.regions];
      if (!regions) throw new Error(`model-catalog.json: ${model} ${sku} names unknown region set ${offer.regions}`);
      types.set(sku as DeploymentType, { regions: new Set(regions), ...(offer.ptu ? { ptu: offer.ptu } : {}) });
    }
    out.set(model, {
      versions: new Set(entry.versions),
      types,
      unit: entry.unit ?? "tokens",
      ...(entry.rpmPerUnit !== undefined ? { rpmPerUnit: entry.rpmPerUnit } : {}),
    });
  }
  return out;
}

/** The file's catalog with a stack's additions merged in (versions and regions add up; PTU rules are replaced). */
export function buildCatalog(additions: readonly CatalogEntry[] = []): Catalog {
  const catalog = fileCatalog();
  for (const add of additions) {
    const model: MutableModel = catalog.get(add.model) ?? {
      versions: new Set<string>(),
      types: new Map<DeploymentType, TypeOffer>(),
      unit: "tokens",
    };
    // issue #19: a model added here plans with RPM and cost when the entry says what they are.
    if (add.unit !== undefined) model.unit = add.unit;
    if (add.rpmPerUnit !== undefined) model.rpmPerUnit = add.rpmPerUnit;
    if (add.rpmPer1000Tpm !== undefined) model.rpmPer1000Tpm = add.rpmPer1000Tpm;
    if (add.usdPerRequest !== undefined) model.usdPerRequest = add.usdPerRequest;
    if (add.prices !== undefined)
      model.prices = {
        input: add.prices.input,
        cachedInput: add.prices.cachedInput ?? add.prices.input,
        output: add.prices.output,
      };
    add.versions.forEach((v) => model.versions.add(v));
    for (const sku of add.skus) {
      const known = model.types.get(sku);
      const regions =
        add.regions === undefined || known?.regions === null
          ? null
          : new Set([...(known?.regions ?? []), ...add.regions]);
      const ptu =
        add.ptuMinimum !== undefined || add.ptuIncrement !== undefined || known?.ptu
          ? {
              minimum: add.ptuMinimum ?? known?.ptu?.minimum ?? 1,
              increment: add.ptuIncrement ?? known?.ptu?.increment ?? 1,
            }
          : undefined;
      model.types.set(sku, { regions, ...(ptu ? { ptu } : {}) });
    }
    catalog.set(add.model, model);
  }
  return catalog;
}

export interface DeploymentOffer {
  readonly model: string;
  readonly version: string;
  readonly sku: DeploymentType;
  readonly location: string;
  readonly capacity: number;
  readonly provisioned: boolean;
}

/** What is wrong with one deployment against the catalog: the key it is about and the text. */
export interface CatalogProblem {
  readonly key: "model" | "version" | "sku" | "location" | "capacity";
  readonly text: string;
}

const list = (items: Iterable<string>) => [...items].sort().join(", ");

const OVERRIDE_HINT = "or add it to aoai-gateway:modelCatalog";

/** The first catalog problem of one deployment, or undefined when the catalog offers it. */
export function catalogProblem(catalog: Catalog, d: DeploymentOffer): CatalogProblem | undefined {
  const model = catalog.get(d.model);
  if (!model) {
    const names = [...catalog.keys()].sort();
    return {
      key: "model",
      text: `got ${JSON.stringify(d.model)}; allowed: a model in the catalog (${names.join(", ")}; infra/data/model-catalog.json, read ${CATALOG_READ_ON}), ${OVERRIDE_HINT}${didYouMean(d.model, names)}`,
    };
  }
  if (!model.versions.has(d.version)) {
    return {
      key: "version",
      text: `got ${JSON.stringify(d.version)}; allowed: a version of ${d.model} the catalog offers (${list(model.versions)}), ${OVERRIDE_HINT}`,
    };
  }
  const offer = model.types.get(d.sku);
  if (!offer) {
    return {
      key: "sku",
      text: `got ${JSON.stringify(d.sku)}; allowed: a deployment type that offers ${d.model} (${list(model.types.keys())}), ${OVERRIDE_HINT}`,
    };
  }
  if (offer.regions !== null && !offer.regions.has(d.location)) {
    return {
      key: "location",
      text: `got ${JSON.stringify(d.location)}; allowed: a region that offers ${d.model} as ${d.sku} (${list(offer.regions)}), ${OVERRIDE_HINT}`,
    };
  }
  if (d.provisioned && offer.ptu) {
    const { minimum, increment } = offer.ptu;
    if (d.capacity < minimum || (d.capacity - minimum) % increment !== 0) {
      const examples = [0, 1, 2].map((k) => minimum + k * increment).join(", ");
      return {
        key: "capacity",
        text: `got ${d.capacity} PTU; allowed: at least ${minimum} PTU in steps of ${increment} for ${d.model} ${d.sku} (${examples}, ...)`,
      };
    }
  }
  return undefined;
}
