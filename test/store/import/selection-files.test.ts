import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reprojectPoint } from '../../../src/core/geo/crs';
import { readIdList, readSelectionArea } from '../../../src/store/import/selection-files';
import { scratchDir, square } from './parcel-files';

describe('selection files (id lists, areas)', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads ids one per line, skipping blanks and comments', async () => {
    assert.deepEqual(await readIdList(file('ids.txt', '# watch list\n17\n\n 18 \r\n19\n')), [
      '17',
      '18',
      '19',
    ]);
  });

  it('reads the id column of a CSV: named, guessed from the header, or the first', async () => {
    const csv = 'name,perceel_id,crop\n"North, big",P1,wheat\nSouth,P2,maize\n';
    assert.deepEqual(await readIdList(file('a.csv', csv), 'perceel_id'), ['P1', 'P2']);
    const guessed = 'crop;external_id\nwheat;X1\nmaize;X2\n';
    assert.deepEqual(await readIdList(file('b.csv', guessed)), ['X1', 'X2']);
    assert.deepEqual(await readIdList(file('c.csv', 'code\tcrop\nA\twheat\n')), ['A']);
    assert.deepEqual(await readIdList(file('d.csv', 'parcel_id\n5\n6\n')), ['5', '6']);
    await assert.rejects(
      readIdList(file('e.csv', csv), 'pid'),
      /has no column "pid"; its header: name, perceel_id, crop/,
    );
    await assert.rejects(readIdList(path.join(dir, 'missing.txt')), /id list .* does not exist/);
  });

  it('reads the polygons of a GeoJSON area as one WGS 84 MultiPolygon, reprojecting a declared CRS', async () => {
    const collection = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: {}, geometry: square(5, 52) },
        {
          type: 'Feature',
          properties: {},
          geometry: { type: 'MultiPolygon', coordinates: [square(5.1, 52).coordinates] },
        },
      ],
    };
    const area = await readSelectionArea(file('area.geojson', JSON.stringify(collection)));
    assert.deepEqual(area, {
      type: 'MultiPolygon',
      coordinates: [square(5, 52).coordinates, square(5.1, 52).coordinates],
    });
    const rd = {
      type: 'Feature',
      crs: { type: 'name', properties: { name: 'EPSG:28992' } },
      geometry: square(155_000, 463_000, 100),
    };
    const reprojected = await readSelectionArea(file('rd.geojson', JSON.stringify(rd)));
    const [lon, lat] = reprojected.coordinates[0][0][0];
    const expected = reprojectPoint([155_000, 463_000], 28992, 4326);
    assert.ok(Math.abs(lon - expected[0]) < 1e-12 && Math.abs(lat - expected[1]) < 1e-12);
    assert.ok(Math.abs(lat - 52.156) < 0.01, 'the origin of RD New is near Amersfoort');
  });

  it('refuses areas that are not polygons or not JSON', async () => {
    await assert.rejects(
      readSelectionArea(
        file('line.geojson', '{"type":"LineString","coordinates":[[5,52],[6,53]]}'),
      ),
      /the geometry: geometry is a LineString, not a Polygon/,
    );
    await assert.rejects(
      readSelectionArea(file('bad.geojson', '{oops')),
      /bad\.geojson is not valid JSON/,
    );
    await assert.rejects(
      readSelectionArea(file('none.geojson', '{"type":"FeatureCollection","features":[]}')),
      /holds no polygon/,
    );
  });
});
