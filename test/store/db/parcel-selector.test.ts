import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import type { BBox, MultiPolygon, Polygon } from '../../../src/core/geo/types';
import type { Database } from '../../../src/store/db/database';
import {
  allOf,
  hasSelection,
  type ParcelSelector,
  requireSelection,
  SqlParams,
  selectorConditions,
} from '../../../src/store/db/parcel-selector';
import { listParcels, upsertParcels, watchParcels } from '../../../src/store/db/parcels-repo';
import { isolatedDatabase } from './isolated-schema';

/** Side of each parcel square, in degrees; parcels lie 0.01° apart along latitude 52° N. */
const SIDE = 0.005;
const LAT = 52;

interface Fixture {
  source: string;
  externalId: string;
  crop: string | null;
  attributes: Record<string, string>;
  /** West edge of the square. */
  lon: number;
  watched: boolean;
}

/** Two sources sharing external ids, crops with a null and a substring, a `%_` id, attributes. */
const PARCELS: Fixture[] = [
  {
    source: 'a',
    externalId: 'P1',
    crop: 'wheat',
    attributes: { farm: 'F1' },
    lon: 5.0,
    watched: true,
  },
  {
    source: 'a',
    externalId: 'P2',
    crop: 'Winter wheat',
    attributes: { farm: 'F2', name: 'North field' },
    lon: 5.01,
    watched: true,
  },
  {
    source: 'a',
    externalId: 'P3',
    crop: null,
    attributes: { farm: 'F1' },
    lon: 5.02,
    watched: true,
  },
  { source: 'a', externalId: '50%_off', crop: 'maize', attributes: {}, lon: 5.03, watched: false },
  {
    source: 'b',
    externalId: 'P1',
    crop: 'maize',
    attributes: { farm: 'F1' },
    lon: 5.04,
    watched: false,
  },
  {
    source: 'b',
    externalId: 'P2',
    crop: 'wheat',
    attributes: { farm: 'F3' },
    lon: 5.05,
    watched: true,
  },
  {
    source: 'b',
    externalId: 'P3',
    crop: 'wheat',
    attributes: { farm: 'F1', name: 'north' },
    lon: 5.06,
    watched: false,
  },
];

function square(west: number, south: number, east: number, north: number): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
      ],
    ],
  };
}

const key = (p: { source: string; externalId: string }) => `${p.source}:${p.externalId}`;
const expected = (keep: (p: Fixture) => boolean) => PARCELS.filter(keep).map(key).sort();
/** Whether a parcel square meets the closed range [west, east] of longitudes. */
const meets = (p: Fixture, west: number, east: number) => p.lon <= east && p.lon + SIDE >= west;
/** Whether a parcel square lies within [west, east]. */
const inside = (p: Fixture, west: number, east: number) => p.lon >= west && p.lon + SIDE <= east;

describe('parcel selector: one SQL for every parcel selection (real PostGIS)', function () {
  this.timeout(120_000);
  let db: Database;
  let idOf: Map<string, number>;

  before(async () => {
    db = await isolatedDatabase('pw_parcel_selector');
    idOf = new Map();
    for (const source of ['a', 'b']) {
      const mine = PARCELS.filter((p) => p.source === source);
      const { ids } = await upsertParcels(
        db,
        mine.map((p) => ({
          externalId: p.externalId,
          crop: p.crop,
          attributes: p.attributes,
          geometry: square(p.lon, LAT, p.lon + SIDE, LAT + SIDE),
        })),
        { source },
      );
      for (const [i, p] of mine.entries()) idOf.set(key(p), ids[i]!);
    }
    // Set straight in SQL, not through watchParcels, which is built on the code under test.
    await db.pool.query('UPDATE parcels SET watched = true WHERE id = ANY($1::bigint[])', [
      PARCELS.filter((p) => p.watched).map((p) => idOf.get(key(p))),
    ]);
  });
  after(async () => db?.close());

  /** `source:externalId` of the parcels the selector selects, sorted. */
  async function select(selector: ParcelSelector): Promise<string[]> {
    const params = new SqlParams();
    const rows = await db.pool.query<{ source: string; external_id: string }>(
      `SELECT p.source, p.external_id FROM parcels p WHERE ${allOf(selectorConditions(selector, params))}`,
      params.values,
    );
    return rows.rows.map((r) => `${r.source}:${r.external_id}`).sort();
  }

  it('selects every parcel when given no criterion', async () => {
    assert.deepEqual(
      await select({}),
      expected(() => true),
    );
  });

  it('selects by database ids, and nothing for an empty list', async () => {
    const ids = [idOf.get('b:P2')!, idOf.get('a:P1')!];
    assert.deepEqual(await select({ ids }), ['a:P1', 'b:P2']);
    assert.deepEqual(await select({ ids: [] }), []);
  });

  it('selects a whole source', async () => {
    assert.deepEqual(
      await select({ source: 'b' }),
      expected((p) => p.source === 'b'),
    );
  });

  it('matches external ids in every source without a source, within it with one', async () => {
    assert.deepEqual(await select({ externalIds: ['P1', 'P3'] }), ['a:P1', 'a:P3', 'b:P1', 'b:P3']);
    assert.deepEqual(await select({ externalIds: ['P1', 'P3'], source: 'b' }), ['b:P1', 'b:P3']);
    assert.deepEqual(await select({ externalIds: ['P1'], source: 'nobody' }), []);
  });

  it('selects the parcels a bbox intersects, including those it only partly covers', async () => {
    const box: BBox = [5.0125, 51.9, 5.0425, 52.1];
    const got = await select({ bbox: box });
    assert.deepEqual(
      got,
      expected((p) => meets(p, box[0], box[2])),
    );
    assert.ok(got.includes('a:P2') && got.includes('b:P1'), 'parcels crossing both edges');
    assert.equal(got.length, 4);
  });

  it('selects the parcels lying within an area, not those crossing its edge', async () => {
    const area = square(5.0125, 51.99, 5.0425, 52.01);
    assert.deepEqual(
      await select({ within: area }),
      expected((p) => inside(p, 5.0125, 5.0425)),
    );
    assert.deepEqual(await select({ within: area }), ['a:50%_off', 'a:P3']);
  });

  it('counts a parcel straddling two touching polygons of the area as within it', async () => {
    // a:P3 spans 5.020–5.025: neither polygon alone covers it, their union does.
    const area: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [
        square(4.99, 51.99, 5.0225, 52.01).coordinates,
        square(5.0225, 51.99, 5.05, 52.01).coordinates,
      ],
    };
    const got = await select({ within: area });
    assert.deepEqual(
      got,
      expected((p) => inside(p, 4.99, 5.05)),
    );
    assert.ok(got.includes('a:P3'));
  });

  it('applies column conditions: = exact, != counting null as different, ~ any case', async () => {
    assert.deepEqual(
      await select({ where: [{ field: 'crop', op: '=', value: 'wheat' }] }),
      expected((p) => p.crop === 'wheat'),
    );
    assert.deepEqual(
      await select({ where: [{ field: 'crop', op: '!=', value: 'wheat' }] }),
      expected((p) => p.crop !== 'wheat'),
    );
    assert.ok(
      (await select({ where: [{ field: 'crop', op: '!=', value: 'wheat' }] })).includes('a:P3'),
    );
    assert.deepEqual(
      await select({ where: [{ field: 'crop', op: '~', value: 'WHEAT' }] }),
      expected((p) => p.crop?.toLowerCase().includes('wheat') === true),
    );
  });

  it('takes % and _ in a contains condition literally', async () => {
    assert.deepEqual(await select({ where: [{ field: 'external_id', op: '~', value: '%' }] }), [
      'a:50%_off',
    ]);
    assert.deepEqual(
      await select({ where: [{ field: 'external_id', op: '~', value: '0_O' }] }),
      [],
    );
    assert.deepEqual(await select({ where: [{ field: 'external_id', op: '~', value: '%_O' }] }), [
      'a:50%_off',
    ]);
  });

  it('applies conditions on source attributes, by their name or as attributes.<name>', async () => {
    assert.deepEqual(
      await select({ where: [{ field: 'farm', op: '=', value: 'F1' }] }),
      expected((p) => p.attributes.farm === 'F1'),
    );
    assert.deepEqual(
      await select({ where: [{ field: 'farm', op: '!=', value: 'F1' }] }),
      expected((p) => p.attributes.farm !== 'F1'),
    );
    // `name` is a parcel column (null here); attributes.name reaches the source attribute.
    assert.deepEqual(await select({ where: [{ field: 'name', op: '~', value: 'north' }] }), []);
    assert.deepEqual(
      await select({ where: [{ field: 'attributes.name', op: '~', value: 'NORTH' }] }),
      ['a:P2', 'b:P3'],
    );
  });

  it('narrows to watched or unwatched parcels', async () => {
    assert.deepEqual(
      await select({ watched: true }),
      expected((p) => p.watched),
    );
    assert.deepEqual(
      await select({ watched: false, source: 'a' }),
      expected((p) => !p.watched && p.source === 'a'),
    );
  });

  it('requires every criterion given to hold', async () => {
    const box: BBox = [4.9, 51.9, 5.055, 52.1];
    const within = square(4.99, 51.99, 5.1, 52.01);
    const selector: ParcelSelector = {
      ids: PARCELS.filter((p) => p.externalId !== 'P2' || p.source !== 'a').map(
        (p) => idOf.get(key(p))!,
      ),
      externalIds: ['P1', 'P2', 'P3'],
      bbox: box,
      within,
      where: [
        { field: 'crop', op: '~', value: 'wheat' },
        { field: 'farm', op: '!=', value: 'F3' },
      ],
      watched: true,
    };
    const all = await select(selector);
    assert.deepEqual(all, ['a:P1']);
    // What each criterion admits, in plain terms, for these fixtures.
    const admits: Record<string, (p: Fixture) => boolean> = {
      ids: (p) => selector.ids!.includes(idOf.get(key(p))!),
      externalIds: (p) => selector.externalIds!.includes(p.externalId),
      bbox: (p) => meets(p, box[0], box[2]),
      within: (p) => inside(p, 4.99, 5.1),
      where: (p) => p.crop?.toLowerCase().includes('wheat') === true && p.attributes.farm !== 'F3',
      watched: (p) => p.watched,
    };
    // Alone, each criterion selects more; with it dropped, the others still all hold: the
    // result is the conjunction of every criterion, not some of them.
    for (const name of Object.keys(selector) as Array<keyof ParcelSelector>) {
      const alone = await select({ [name]: selector[name] });
      assert.deepEqual(alone, expected(admits[name]!), `${name} alone`);
      assert.ok(alone.length > all.length, `${name} alone`);
      const { [name]: _dropped, ...others } = selector;
      const rest = Object.keys(others).map((n) => admits[n]!);
      assert.deepEqual(
        await select(others),
        expected((p) => rest.every((holds) => holds(p))),
        `without ${name}`,
      );
    }
    assert.deepEqual(await select({ ...selector, source: 'b' }), []);
  });

  it('numbers its parameters after values already bound and qualifies columns with the alias', async () => {
    const params = new SqlParams(['b']);
    const conditions = selectorConditions(
      { externalIds: ['P1', 'P2'], where: [{ field: 'crop', op: '=', value: 'wheat' }] },
      params,
      'x',
    );
    assert.ok(conditions.every((c) => c.includes('x.') && !c.includes('p.')));
    assert.equal(params.values[0], 'b');
    assert.ok(!conditions.some((c) => c.includes('$1')));
    const rows = await db.pool.query<{ external_id: string }>(
      `SELECT x.external_id FROM parcels x WHERE x.source = $1 AND ${allOf(conditions)}`,
      params.values,
    );
    assert.deepEqual(
      rows.rows.map((r) => r.external_id),
      ['P2'],
    );
  });

  it('selects the same parcels in the repo statements that bind their own values first', async () => {
    // listParcels binds geometry flag, cursor and limit as $1..$3; watchParcels the new state as $1.
    const selector: ParcelSelector = {
      source: 'b',
      where: [{ field: 'farm', op: '=', value: 'F1' }],
      watched: false,
    };
    const listed = await listParcels(db, selector, { withGeometry: true, limit: 10 });
    assert.deepEqual(listed.map(key).sort(), ['b:P1', 'b:P3']);
    assert.ok(listed.every((p) => p.geometry?.type === 'MultiPolygon'));
    const after = await listParcels(db, selector, { afterId: idOf.get('b:P1'), limit: 1 });
    assert.deepEqual(after.map(key), ['b:P3']);
    try {
      assert.equal(await watchParcels(db, { ...selector, externalIds: ['P3'] }, true), 1);
      assert.deepEqual(await select({ watched: true, source: 'b' }), ['b:P2', 'b:P3']);
    } finally {
      await db.pool.query('UPDATE parcels SET watched = false WHERE id = $1', [idOf.get('b:P3')]);
    }
  });
});

describe('parcel selector SQL (no database)', () => {
  /** Every criterion, so every kind of placeholder appears. */
  const EVERYTHING: ParcelSelector = {
    ids: [7, 8],
    source: 'a',
    externalIds: ['P1'],
    bbox: [5, 52, 5.1, 52.1],
    within: square(5, 52, 5.1, 52.1),
    where: [
      { field: 'crop', op: '=', value: 'wheat' },
      { field: 'farm', op: '!=', value: 'F1' },
      { field: 'attributes.name', op: '~', value: 'x%' },
    ],
    watched: false,
  };

  it('numbers its placeholders after the values a statement already binds, each once, in order', () => {
    const bound = [true, 0, 100];
    const params = new SqlParams(bound);
    const sql = allOf(selectorConditions(EVERYTHING, params));
    const used = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    // ids, source, externalIds, 4 bbox corners, within, crop value, farm name and value,
    // name and pattern, watched.
    const added = 14;
    assert.equal(params.values.length, bound.length + added);
    assert.deepEqual(
      used,
      Array.from({ length: added }, (_, i) => bound.length + 1 + i),
    );
    assert.deepEqual(params.values.slice(0, 3), bound);
    assert.deepEqual(params.values.slice(3, 10), [[7, 8], 'a', ['P1'], 5, 52, 5.1, 52.1]);
    assert.deepEqual(params.values.slice(11), ['wheat', 'farm', 'F1', 'name', '%x\\%%', false]);
    assert.deepEqual(JSON.parse(params.values[10] as string), EVERYTHING.within);
  });

  it('binds every value: no text of the selector reaches the SQL', () => {
    const hostile = "x'); DROP TABLE parcels; --";
    const params = new SqlParams();
    const sql = allOf(
      selectorConditions(
        {
          source: hostile,
          externalIds: [hostile],
          where: [
            { field: hostile, op: '=', value: hostile },
            { field: `attributes.${hostile}`, op: '~', value: hostile },
          ],
        },
        params,
      ),
    );
    assert.ok(!sql.includes('DROP'), sql);
    assert.ok(params.values.filter((v) => v === hostile).length >= 3);
  });

  it('is `true` (every parcel) with no criterion, and binds nothing', () => {
    const params = new SqlParams(['kept']);
    assert.equal(allOf(selectorConditions({}, params)), 'true');
    assert.deepEqual(params.values, ['kept']);
  });

  it('lets writes through only with a criterion other than watched', () => {
    const refused: ParcelSelector[] = [{}, { watched: true }, { where: [] }];
    for (const selector of refused) {
      assert.equal(hasSelection(selector), false, JSON.stringify(selector));
      assert.throws(
        () => requireSelection(selector),
        (e: unknown) => e instanceof BadInputError && e.code === 'PARCEL_SELECTOR_EMPTY',
      );
    }
    const accepted: ParcelSelector[] = [
      { ids: [1] },
      { source: 'a' },
      { externalIds: ['P1'] },
      { bbox: [5, 52, 5.1, 52.1] },
      { within: square(5, 52, 5.1, 52.1) },
      { where: [{ field: 'crop', op: '=', value: 'wheat' }], watched: false },
    ];
    for (const selector of accepted) {
      assert.equal(hasSelection(selector), true, JSON.stringify(selector));
      requireSelection(selector);
    }
  });
});
