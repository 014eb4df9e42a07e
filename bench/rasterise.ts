/**
 * Cold build of a parcel-to-pixel map on a full Sentinel-2 tile grid: 100 000 synthetic parcels of
 * 0.3–10 ha (log-uniform areas, rotated rectangles and irregular polygons) spread over 10980 × 10980.
 * Run: npx tsx bench/rasterise.ts [parcelCount] [bufferMetres]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { s2Tile } from '../src/core/geo/s2-tiles';
import type { Polygon, Position } from '../src/core/geo/types';
import { buildParcelPixelMap } from '../src/core/zonal/rasterise';

const PARCELS = Number(process.argv[2] ?? 100_000);
const BUFFER_METRES = Number(process.argv[3] ?? 5);
/** Earth Search 10 m COGs use 1024 px internal tiles. */
const BLOCK_SIZE = 1024;
const MIN_HA = 0.3;
const MAX_HA = 10;

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticParcels(count: number, minX: number, minY: number, size: number): Polygon[] {
  const rnd = random(42);
  const across = Math.ceil(Math.sqrt(count));
  const cell = size / across;
  const out: Polygon[] = [];
  for (let i = 0; i < count; i++) {
    const cx = minX + ((i % across) + 0.2 + 0.6 * rnd()) * cell;
    const cy = minY + (Math.floor(i / across) + 0.2 + 0.6 * rnd()) * cell;
    const area = MIN_HA * 10_000 * (MAX_HA / MIN_HA) ** rnd();
    const angle = rnd() * Math.PI;
    const ring: Position[] = [];
    if (i % 2 === 0) {
      // Rotated rectangle, aspect 1–4.
      const aspect = 1 + 3 * rnd();
      const w = Math.sqrt(area * aspect);
      const h = area / w;
      for (const [u, v] of [
        [-1, -1],
        [1, -1],
        [1, 1],
        [-1, 1],
      ]) {
        const x = (u * w) / 2;
        const y = (v * h) / 2;
        ring.push([
          cx + x * Math.cos(angle) - y * Math.sin(angle),
          cy + x * Math.sin(angle) + y * Math.cos(angle),
        ]);
      }
    } else {
      // Star-shaped polygon with 8–24 vertices, radius scaled to the area.
      const n = 8 + Math.floor(rnd() * 17);
      const radii = Array.from({ length: n }, () => 0.7 + 0.3 * rnd());
      const unitArea = radii.reduce(
        (sum, r, k) => sum + 0.5 * r * radii[(k + 1) % n] * Math.sin((2 * Math.PI) / n),
        0,
      );
      const scale = Math.sqrt(area / unitArea);
      for (let k = 0; k < n; k++) {
        const t = angle + (2 * Math.PI * k) / n;
        ring.push([cx + scale * radii[k] * Math.cos(t), cy + scale * radii[k] * Math.sin(t)]);
      }
    }
    ring.push(ring[0]);
    out.push({ type: 'Polygon', coordinates: [ring] });
  }
  return out;
}

const grid = s2Tile('33TWL').grid;
const size = grid.width * grid.pixelWidth;
const parcels = syntheticParcels(PARCELS, grid.originX, grid.originY - size, size);
const vertices = parcels.reduce((n, p) => n + p.coordinates[0].length - 1, 0);
/** Peak resident set size so far (Linux VmHWM); the build is synchronous, so sampling would miss it. */
function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

const rssBefore = process.memoryUsage().rss;
const peakBefore = peakRssBytes();
const cold = process.hrtime.bigint();
let map = buildParcelPixelMap({
  grid,
  blockSize: BLOCK_SIZE,
  parcels,
  bufferMetres: BUFFER_METRES,
});
const runs = [Number(process.hrtime.bigint() - cold) / 1e6];
const peakAfterCold = peakRssBytes();
for (let run = 0; run < 3; run++) {
  const t0 = process.hrtime.bigint();
  map = buildParcelPixelMap({ grid, blockSize: BLOCK_SIZE, parcels, bufferMetres: BUFFER_METRES });
  runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
let entries = 0;
for (const block of map.blocks.values()) entries += block.parcel.length;
const fallbacks = map.bufferFallback.reduce((n, f) => n + f, 0);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `parcels          ${PARCELS} (${vertices} vertices), buffer ${BUFFER_METRES} m, block ${BLOCK_SIZE} px`,
);
console.log(
  `pixels assigned  ${entries} in ${map.blocks.size} blocks; ${fallbacks} buffer fallbacks`,
);
console.log(
  `wall time        ${runs.map((t) => `${t.toFixed(0)} ms`).join(', ')} (first cold, then 3 repeats)`,
);
console.log(`map arrays       ${mib(entries * 8)}`);
console.log(
  `RSS              ${mib(rssBefore)} with parcels loaded (peak ${mib(peakBefore)}); peak ${mib(peakAfterCold)} after the cold build, ${mib(peakRssBytes())} after the repeats`,
);
console.log(
  `load average     ${loadavg()[0].toFixed(2)} (2 cores shared with other work skew timings)`,
);
