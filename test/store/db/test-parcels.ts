import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reprojectPoint } from '../../../src/core/geo/crs';
import type { Polygon, Position } from '../../../src/core/geo/types';
import type { ParcelInput } from '../../../src/store/db/parcels-repo';
import { REPO_ROOT } from '../../helpers/services';

/** UTM zone 33N: tiles 33TWL (y 4 990 200–5 100 000) and 33TWM (y 5 090 220–5 200 020). */
export const UTM33N = 32633;

/**
 * A lon/lat square parcel from its south-west corner and side in EPSG:32633, edges densified so it
 * stays a square in UTM.
 */
export function utmSquare(x: number, y: number, side = 100): Polygon {
  const corners: Position[] = [
    [x, y],
    [x + side, y],
    [x + side, y + side],
    [x, y + side],
  ];
  const ring: Position[] = [];
  corners.forEach((a, i) => {
    const b = corners[(i + 1) % corners.length];
    for (let k = 0; k < 4; k++) {
      const t = k / 4;
      ring.push(reprojectPoint([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])], UTM33N, 4326));
    }
  });
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` 100 m square parcels at random places of the UTM box, ids `${prefix}-0`… */
export function randomParcels(
  n: number,
  seed: number,
  box: [number, number, number, number],
  prefix: string,
): ParcelInput[] {
  const next = random(seed);
  return Array.from({ length: n }, (_, i) => ({
    externalId: `${prefix}-${i}`,
    geometry: utmSquare(
      box[0] + next() * (box[2] - box[0] - 100),
      box[1] + next() * (box[3] - box[1] - 100),
    ),
  }));
}

/** The 100 real Dutch parcels of the BRP 2023 fixture (WGS 84), ids `brp-0`…`brp-99`. */
export function dutchParcels(): ParcelInput[] {
  const file = path.join(REPO_ROOT, 'test', 'fixtures', 'parcels', 'nl-brp-2023.geojson');
  const collection = JSON.parse(readFileSync(file, 'utf8')) as {
    features: Array<{ properties: Record<string, unknown>; geometry: Polygon }>;
  };
  return collection.features.map((f, i) => ({
    externalId: `brp-${i}`,
    crop: String(f.properties.gewas),
    geometry: f.geometry,
    attributes: f.properties,
  }));
}
