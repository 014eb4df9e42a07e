/** Rows and records the retention tests build their datasets from. */
import type { Database } from '../../../src/store/db/database';
import type { ObservationRow } from '../../../src/store/db/observations-repo';

/** One observation of a parcel (database id) and index at an acquisition time. */
export function observationRow(
  parcelDbId: number,
  index: string,
  acquiredAt: string,
  mean: number | null = 0.5,
  extra: Partial<ObservationRow> = {},
): ObservationRow {
  const cloudy = mean === null;
  return {
    parcel: 0,
    parcelId: `p${parcelDbId}`,
    parcelDbId,
    index,
    acquiredAt,
    sceneId: `S2A_33TWL_${acquiredAt.slice(0, 10).replace(/-/g, '')}_0_L2A`,
    mean,
    median: cloudy ? null : mean,
    std: cloudy ? null : 0.05,
    min: cloudy ? null : mean - 0.1,
    max: cloudy ? null : mean + 0.1,
    p10: cloudy ? null : mean - 0.08,
    p90: cloudy ? null : mean + 0.08,
    validPixels: cloudy ? 0 : 75,
    totalPixels: 100,
    validFraction: cloudy ? 0 : 0.75,
    status: cloudy ? 'cloudy' : 'ok',
    flags: [],
    ...extra,
  };
}

/** Every key of parcel_observations, `parcelId|index|acquiredAt(ISO ms)`, sorted. */
export async function storedKeys(db: Database): Promise<string[]> {
  const rows = await db.pool.query<{ k: string }>(
    `SELECT parcel_id || '|' || index_name || '|' ||
            to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS k
       FROM parcel_observations ORDER BY 1`,
  );
  return rows.rows.map((r) => r.k);
}

/** `parcelId|index|acquiredAt` of a row, with the time printed as the archive prints it. */
export function keyOf(row: ObservationRow): string {
  return `${row.parcelDbId}|${row.index}|${microIso(row.acquiredAt)}`;
}

/** An ISO instant with six fractional digits (the archive's form); keeps given microseconds. */
export function microIso(instant: string): string {
  const match = /\.(\d+)Z$/.exec(instant);
  const micros = (match?.[1] ?? '').padEnd(6, '0').slice(0, 6);
  return `${new Date(Date.parse(instant)).toISOString().slice(0, 19)}.${micros}Z`;
}

/** A parcel group, a scene and their scene_groups row pointing at the given datalake keys. */
export async function insertSceneGroup(
  db: Database,
  scene: { id: string; tile: string; acquiredAt: string },
  groupNumber: number,
  keys: { raw: Record<string, string>; clean: Record<string, string> },
): Promise<{ groupId: number }> {
  const group = await db.pool.query<{ id: string }>(
    `INSERT INTO parcel_groups (tile, group_number) VALUES ($1, $2)
     ON CONFLICT (tile, group_number) DO UPDATE SET tile = EXCLUDED.tile RETURNING id`,
    [scene.tile, groupNumber],
  );
  await db.pool.query(
    `INSERT INTO scenes (id, collection, tile, acquired_at, harmonisation, assets, status)
     VALUES ($1, 'sentinel-2-l2a', $2, $3, '{}', '{}', 'processed') ON CONFLICT (id) DO NOTHING`,
    [scene.id, scene.tile, scene.acquiredAt],
  );
  const groupId = Number(group.rows[0]!.id);
  await db.pool.query(
    `INSERT INTO scene_groups (scene_id, group_id, raw_keys, clean_keys, status)
     VALUES ($1, $2, $3, $4, 'computed')`,
    [scene.id, groupId, JSON.stringify(keys.raw), JSON.stringify(keys.clean)],
  );
  return { groupId };
}
