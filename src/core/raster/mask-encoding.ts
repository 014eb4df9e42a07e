import type { HarmonisationDecision } from '../stac/scene';

/**
 * The one encoding of clean reflectance rasters, whatever the scene's harmonisation decision was:
 * reflectance = DN × 0.0001 − 0.1 (ESA's baseline ≥ 04.00 encoding), DN 0 = no data. Downstream
 * code reads every clean raster with CLEAN_HARMONISATION and never needs the scene's decision again.
 */

/** Quantification of L2A: reflectance × 10 000. */
const CLEAN_QUANTIFICATION = 10_000;
/** Added to reflectance before quantifying, so reflectances down to −0.1 stay positive DN. */
const CLEAN_ADD_OFFSET = 0.1;
/** The smallest DN of a pixel with data: 0 is no data. */
const MIN_CLEAN_DN = 1;
const MAX_CLEAN_DN = 0xffff;

export const CLEAN_HARMONISATION: HarmonisationDecision = {
  scale: 1 / CLEAN_QUANTIFICATION,
  offset: -CLEAN_ADD_OFFSET,
  rule: 'clean',
  // What a clean raster itself states: its own encoding, no item behind it.
  evidence: {
    processingBaseline: null,
    boaOffsetApplied: null,
    declaredOffset: -CLEAN_ADD_OFFSET,
    declaredScale: 1 / CLEAN_QUANTIFICATION,
  },
};

/**
 * The clean DN of a raw DN under `decision`: clamp(round((DN × scale + offset + 0.1) × 10 000),
 * 1, 65535). Reflectances below −0.1 clamp to 1, above 6.5535 to 65535 (saturated pixels on
 * offset-0 scenes above 64 535 DN); raw nodata is the caller's to map to 0.
 */
export function cleanDn(dn: number, decision: Pick<HarmonisationDecision, 'scale' | 'offset'>) {
  const value = Math.round(
    (dn * decision.scale + decision.offset + CLEAN_ADD_OFFSET) * CLEAN_QUANTIFICATION,
  );
  return Math.min(MAX_CLEAN_DN, Math.max(MIN_CLEAN_DN, value));
}

/**
 * Clean DN of every 16-bit raw DN, with `nodata` mapped to 0: one table lookup per pixel instead
 * of floating-point work.
 */
export function cleanDnTable(
  decision: Pick<HarmonisationDecision, 'scale' | 'offset'>,
  nodata: number,
): Uint16Array {
  const table = new Uint16Array(0x10000);
  for (let dn = 0; dn < table.length; dn++) table[dn] = cleanDn(dn, decision);
  if (Number.isInteger(nodata) && nodata >= 0 && nodata < table.length) table[nodata] = 0;
  return table;
}
