import type { DeclaredRasterBand } from './bands';
import { boaOffsetAppliedOf, processingBaselineOf } from './item-fields';
import type { HarmonisationDecision } from './scene';

/**
 * How a scene's DN become reflectance (reflectance = DN × scale + offset), decided once per scene
 * from what its item says. Since processing baseline 04.00 ESA stores L2A with BOA_ADD_OFFSET =
 * −1000 DN; Earth Search `sentinel-2-l2a` subtracts it during conversion on some items and says so
 * in `earthsearch:boa_offset_applied`, while `raster:bands` keeps declaring offset −0.1. Trusting
 * `raster:bands` alone would subtract the offset twice on those items.
 */

/** Every L2A baseline stores reflectance × 10 000 (QUANTIFICATION_VALUE). */
export const L2A_SCALE = 0.0001;
/** BOA_ADD_OFFSET = −1000 DN of baselines ≥ 04.00, in reflectance units (−1000 × 0.0001). */
export const BOA_OFFSET = -0.1;
/** The first baseline carrying BOA_ADD_OFFSET (in production from 25 January 2022). */
export const OFFSET_BASELINE = '04.00';

type Evidence = HarmonisationDecision['evidence'];

/** One row of the decision table, as the README prints it. */
export interface HarmonisationRule {
  id: string;
  /** When the row applies; rows are tried top to bottom, the first that applies wins. */
  condition: string;
  scale: string;
  offset: string;
  why: string;
}

interface RuleLogic extends HarmonisationRule {
  applies(evidence: Evidence): boolean;
  resolve(evidence: Evidence): { scale: number; offset: number };
}

const RULES: readonly RuleLogic[] = [
  {
    id: 'declared-scale-not-l2a',
    condition: `raster:bands declares a positive scale other than ${L2A_SCALE}`,
    scale: 'declared',
    offset: 'declared, else 0',
    why: 'The publisher stored the DN in other units than ESA L2A; baseline offsets are in L2A units, so only the publisher’s own offset means anything here.',
    applies: (e) => hasCustomScale(e.declaredScale),
    resolve: (e) => ({ scale: e.declaredScale!, offset: e.declaredOffset ?? 0 }),
  },
  {
    id: 'baseline-unknown',
    condition: 'no processing baseline in the item (s2:processing_baseline nor product name)',
    scale: `declared, else ${L2A_SCALE}`,
    offset: 'declared, else 0',
    why: 'Without a baseline the item cannot tell whether BOA_ADD_OFFSET exists; the declared offset is the only statement, and items without metadata predate the offset.',
    applies: (e) => e.processingBaseline === null,
    resolve: (e) => ({ scale: l2aScale(e), offset: e.declaredOffset ?? 0 }),
  },
  {
    id: 'baseline-before-04.00',
    condition: `processing baseline < ${OFFSET_BASELINE}`,
    scale: `declared, else ${L2A_SCALE}`,
    offset: '0 (whatever is declared)',
    why: 'Products before baseline 04.00 have no BOA_ADD_OFFSET; a declared non-zero offset would be wrong.',
    applies: (e) => isBeforeOffsetBaseline(e.processingBaseline!),
    resolve: (e) => ({ scale: l2aScale(e), offset: 0 }),
  },
  {
    id: 'baseline-04.00-offset-applied',
    condition: `baseline ≥ ${OFFSET_BASELINE} and earthsearch:boa_offset_applied = true`,
    scale: `declared, else ${L2A_SCALE}`,
    offset: '0 (even when −0.1 is declared)',
    why: 'Earth Search already added −1000 into the DN during conversion; the −0.1 still declared in raster:bands is stale and would subtract the offset twice.',
    applies: (e) => e.boaOffsetApplied === true,
    resolve: (e) => ({ scale: l2aScale(e), offset: 0 }),
  },
  {
    id: 'baseline-04.00-offset-not-applied',
    condition: `baseline ≥ ${OFFSET_BASELINE} and earthsearch:boa_offset_applied = false`,
    scale: `declared, else ${L2A_SCALE}`,
    offset: `${BOA_OFFSET} (even when 0 is declared)`,
    why: 'The DN are as ESA wrote them, +1000 included; BOA_ADD_OFFSET must be applied here.',
    applies: (e) => e.boaOffsetApplied === false,
    resolve: (e) => ({ scale: l2aScale(e), offset: BOA_OFFSET }),
  },
  {
    id: 'baseline-04.00-flag-absent',
    condition: `baseline ≥ ${OFFSET_BASELINE} and no earthsearch:boa_offset_applied`,
    scale: `declared, else ${L2A_SCALE}`,
    offset: `declared, else ${BOA_OFFSET}`,
    why: 'Catalogues without the flag (sentinel-2-c1-l2a, others) keep ESA’s DN and declare the offset; with nothing declared, ESA’s BOA_ADD_OFFSET holds.',
    applies: () => true,
    resolve: (e) => ({ scale: l2aScale(e), offset: e.declaredOffset ?? BOA_OFFSET }),
  },
];

/** The decision table, top row first, as plain data for the README and `parcelwatch` help. */
export const HARMONISATION_RULES: readonly HarmonisationRule[] = RULES.map(
  ({ id, condition, scale, offset, why }) => ({ id, condition, scale, offset, why }),
);

/**
 * Decides scale and offset for a scene from its item `properties` and what `raster:bands` declares
 * for its reflectance bands (`null` when nothing is declared).
 */
export function decideHarmonisation(
  itemProperties: Record<string, unknown>,
  declaredRasterBand: DeclaredRasterBand | null | undefined,
): HarmonisationDecision {
  const evidence: Evidence = {
    processingBaseline: processingBaselineOf(itemProperties) ?? null,
    boaOffsetApplied: boaOffsetAppliedOf(itemProperties) ?? null,
    declaredOffset: declaredRasterBand?.offset ?? null,
    declaredScale: declaredRasterBand?.scale ?? null,
  };
  // The last row applies to everything, so a rule is always found.
  const rule = RULES.find((r) => r.applies(evidence))!;
  return { ...rule.resolve(evidence), rule: rule.id, evidence };
}

/** True when baseline `NN.NN` is older than 04.00. */
export function isBeforeOffsetBaseline(baseline: string): boolean {
  return Number(baseline) < Number(OFFSET_BASELINE);
}

function hasCustomScale(scale: number | null): boolean {
  return scale !== null && scale > 0 && Math.abs(scale - L2A_SCALE) > 1e-12;
}

/** The declared scale when it is usable (positive), else the L2A one. */
function l2aScale(e: Evidence): number {
  return e.declaredScale !== null && e.declaredScale > 0 ? e.declaredScale : L2A_SCALE;
}
