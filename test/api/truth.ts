import type { Database } from '../../src/store/db/database';

/**
 * What the database holds, read with plain `SELECT *` and pg's own type parsing: the reference the
 * API and the exports are compared with, independent of their queries and mappings.
 */

export interface StoredObservation {
  parcel_id: number;
  source: string;
  external_id: string;
  index: string;
  acquired_at: string;
  scene_id: string;
  mean: number | null;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p90: number | null;
  valid_pixels: number;
  total_pixels: number;
  valid_fraction: number;
  status: string;
  flags: string[];
  algorithm_version: string;
  run_id: string | null;
  computed_at: string;
}

export async function storedObservations(
  db: Database,
  where = 'true',
  values: unknown[] = [],
): Promise<StoredObservation[]> {
  const result = await db.pool.query(
    `SELECT o.*, p.source, p.external_id FROM parcel_observations o JOIN parcels p ON p.id = o.parcel_id
      WHERE ${where} ORDER BY o.parcel_id, o.index_name, o.acquired_at`,
    values,
  );
  return result.rows.map((r) => ({
    parcel_id: Number(r.parcel_id),
    source: r.source,
    external_id: r.external_id,
    index: r.index_name,
    acquired_at: (r.acquired_at as Date).toISOString(),
    scene_id: r.scene_id,
    mean: r.mean,
    median: r.median,
    std: r.std,
    min: r.min,
    max: r.max,
    p10: r.p10,
    p90: r.p90,
    valid_pixels: r.valid_pixels,
    total_pixels: r.total_pixels,
    valid_fraction: r.valid_fraction,
    status: r.status,
    flags: r.flags,
    algorithm_version: r.algorithm_version,
    run_id: r.run_id,
    computed_at: (r.computed_at as Date).toISOString(),
  }));
}

export interface StoredWeekly {
  parcel_id: number;
  source: string;
  external_id: string;
  index: string;
  week_start: string;
  value: number | null;
  observation_count: number;
  status: string;
  run_id: string | null;
  updated_at: string;
}

export async function storedWeekly(
  db: Database,
  where = 'true',
  values: unknown[] = [],
): Promise<StoredWeekly[]> {
  const result = await db.pool.query(
    `SELECT w.*, to_char(w.week_start, 'YYYY-MM-DD') AS monday, p.source, p.external_id
       FROM parcel_weekly w JOIN parcels p ON p.id = w.parcel_id
      WHERE ${where} ORDER BY w.parcel_id, w.index_name, w.week_start`,
    values,
  );
  return result.rows.map((r) => ({
    parcel_id: Number(r.parcel_id),
    source: r.source,
    external_id: r.external_id,
    index: r.index_name,
    week_start: r.monday,
    value: r.value,
    observation_count: r.observation_count,
    status: r.status,
    run_id: r.run_id,
    updated_at: (r.updated_at as Date).toISOString(),
  }));
}

/** ISO week label of a Monday, computed by Python's date.isocalendar (an independent calendar). */
export function isoWeekLabels(mondays: string[]): Map<string, string> {
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const script =
    'import sys, json, datetime\n' +
    'days = json.load(sys.stdin)\n' +
    'out = {}\n' +
    'for d in days:\n' +
    '    y, w, _ = datetime.date.fromisoformat(d).isocalendar()\n' +
    '    out[d] = f"{y}-W{w:02d}"\n' +
    'print(json.dumps(out))\n';
  const text = execFileSync('python3', ['-c', script], {
    input: JSON.stringify([...new Set(mondays)]),
  });
  return new Map(Object.entries(JSON.parse(String(text)) as Record<string, string>));
}
