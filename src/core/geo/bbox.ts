import { BadInputError } from '../errors';
import type { BBox } from './types';

/**
 * Bounding boxes given by people: `minLon,minLat,maxLon,maxLat` in WGS 84 degrees. One check for
 * the CLI and the API, so a box refused by one is refused by the other with the same words.
 */

/**
 * Checks a bounding box: four finite numbers, lon in [-180, 180], lat in [-90, 90], min ≤ max
 * (boxes across the antimeridian are two requests). `what` names the parameter in errors.
 */
export function checkBbox(values: readonly number[], what = 'bbox'): BBox {
  const problem = bboxProblem(values);
  if (problem) {
    throw new BadInputError(
      `${what} ${JSON.stringify(values)} ${problem}; give minLon,minLat,maxLon,maxLat in WGS 84 degrees, e.g. 14.9,45.1,15.1,45.3`,
      { code: 'BBOX_INVALID' },
    );
  }
  return values as BBox;
}

/** Parses `minLon,minLat,maxLon,maxLat` text and checks it (see `checkBbox`). */
export function parseBbox(text: string, what = 'bbox'): BBox {
  const parts = text.split(',');
  // Number('') is 0: an empty part must not pass as a zero coordinate.
  const values = parts.map((part) => (part.trim() === '' ? Number.NaN : Number(part)));
  return checkBbox(values, what);
}

function bboxProblem(values: readonly number[]): string | undefined {
  if (values.length !== 4 || !values.every(Number.isFinite)) return 'is not four numbers';
  const [minLon, minLat, maxLon, maxLat] = values as BBox;
  if (minLon < -180 || maxLon > 180) return 'has a longitude outside [-180, 180]';
  if (minLat < -90 || maxLat > 90) return 'has a latitude outside [-90, 90]';
  if (minLon > maxLon || minLat > maxLat) return 'has a minimum above its maximum';
  return undefined;
}
