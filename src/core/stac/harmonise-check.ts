import { isBeforeOffsetBaseline } from './harmonise';
import type { HarmonisationDecision } from './scene';

/**
 * A check of a harmonisation decision against the data: the metadata behind the decision has been
 * wrong on real Earth Search items, and a wrong offset shifts every reflectance by 0.1 — enough to
 * move NDVI of sparse vegetation by 0.2 or more without any error being raised.
 */

/** Fewer pixels than this and 1 % is under 10 pixels: a few shadows the SCL missed would decide. */
export const MIN_CHECK_PIXELS = 1000;
/**
 * Correct L2A has a few negative land pixels (shadows the SCL missed, noise); more than 1 % means
 * the whole distribution slid down by 0.1, i.e. the offset was applied twice.
 */
export const MAX_NEGATIVE_FRACTION = 0.01;
/**
 * With the +1000 DN still in the data no land pixel can be below 1000 DN; once removed, dark land
 * (vegetation in red is 0.02–0.08) puts the 1st percentile of red far below 1000. Red only: land
 * NIR is bright (vegetation 0.25–0.50), so its 1st percentile says nothing about a 0.1 shift.
 */
export const MISSING_OFFSET_P01_RED_DN = 1000;

export type CheckBand = 'B04' | 'B08';

export interface HarmonisationSample {
  /** The band sampled: red runs both checks; NIR only the negative-reflectance one. */
  band: CheckBand;
  /** DN over valid land pixels (SCL 4 vegetation or 5 not vegetated); nodata (0) is ignored. */
  dn: ArrayLike<number>;
}

export interface HarmonisationCheck {
  status: 'ok' | 'suspect' | 'inconclusive';
  reasons: string[];
  /** Pixels the check used (DN ≠ 0). */
  pixels: number;
  /** Share of those pixels whose reflectance under the decision is below 0. */
  negativeFraction: number | null;
  /** 1st percentile of the DN, linear interpolation between closest ranks. */
  p01Dn: number | null;
}

/** Flags a decision that the sampled DN contradict; `suspect` carries the reasons and what to do. */
export function checkHarmonisation(
  decision: HarmonisationDecision,
  sample: HarmonisationSample,
): HarmonisationCheck {
  const histogram = new Uint32Array(65536);
  for (let i = 0; i < sample.dn.length; i++) {
    const dn = sample.dn[i]!;
    if (dn > 0) histogram[Math.min(65535, Math.round(dn))]!++;
  }
  return checkHarmonisationHistogram(decision, sample.band, histogram);
}

/**
 * The same check on a DN histogram (`histogram[dn]` = pixel count), as the engine's threads
 * accumulate it over the parcels' clear land pixels; bin 0 (nodata) is ignored.
 */
export function checkHarmonisationHistogram(
  decision: HarmonisationDecision,
  band: CheckBand,
  histogram: Uint32Array,
): HarmonisationCheck {
  let pixels = 0;
  let negative = 0;
  for (let dn = 1; dn < histogram.length; dn++) {
    const count = histogram[dn]!;
    if (count === 0) continue;
    pixels += count;
    if (dn * decision.scale + decision.offset < 0) negative += count;
  }
  const sample = { band };
  if (pixels < MIN_CHECK_PIXELS) {
    return {
      status: 'inconclusive',
      reasons: [
        `only ${pixels} valid land pixels of ${sample.band} (at least ${MIN_CHECK_PIXELS} needed)`,
      ],
      pixels,
      negativeFraction: null,
      p01Dn: null,
    };
  }

  const reasons: string[] = [];
  const negativeFraction = negative / pixels;
  if (negativeFraction > MAX_NEGATIVE_FRACTION) {
    reasons.push(
      `${percent(negativeFraction)} of ${pixels} valid land pixels of ${sample.band} get a negative reflectance with offset ${decision.offset} (rule ${decision.rule}); more than ${percent(MAX_NEGATIVE_FRACTION)} suggests the BOA offset is applied twice — check earthsearch:boa_offset_applied and use offset 0 for this scene`,
    );
  }

  const p01Dn = percentileOfHistogram(histogram, pixels, 0.01, 1);
  const baseline = decision.evidence.processingBaseline;
  if (
    sample.band === 'B04' &&
    baseline !== null &&
    !isBeforeOffsetBaseline(baseline) &&
    decision.offset === 0 &&
    p01Dn >= MISSING_OFFSET_P01_RED_DN
  ) {
    reasons.push(
      `the 1st percentile of ${sample.band} DN over ${pixels} valid land pixels is ${p01Dn} (≥ ${MISSING_OFFSET_P01_RED_DN}) on baseline ${baseline} decided with offset 0 (rule ${decision.rule}): the −1000 DN BOA offset looks never applied and reflectance would be 0.1 too high — use offset −0.1 for this scene`,
    );
  }
  return { status: reasons.length ? 'suspect' : 'ok', reasons, pixels, negativeFraction, p01Dn };
}

/** Type 7 percentile (numpy's default) of `count` integer values held as a histogram. */
function percentileOfHistogram(
  histogram: Uint32Array,
  count: number,
  p: number,
  from: number,
): number {
  const h = (count - 1) * p;
  const lower = valueAtRank(histogram, Math.floor(h), from);
  const upper = valueAtRank(histogram, Math.ceil(h), from);
  return lower + (h - Math.floor(h)) * (upper - lower);
}

/** The value of 0-based rank `rank` in the sorted values, counting bins from `from`. */
function valueAtRank(histogram: Uint32Array, rank: number, from: number): number {
  let seen = 0;
  for (let value = from; value < histogram.length; value++) {
    seen += histogram[value]!;
    if (seen > rank) return value;
  }
  return histogram.length - 1;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))} %`;
}
