import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openParcelFile } from '../../../src/store/import/open-reader';
import { BRP_GEOJSON, BRP_GPKG, brpZippedShapefile, scratchDir } from './parcel-files';

describe('choosing a parcel file reader', () => {
  const dir = scratchDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('goes by the extension, else by the first bytes of the file', async () => {
    const zip = brpZippedShapefile(dir);
    const cases: Array<[string, string, string]> = [
      [BRP_GPKG, 'parcels.dat', 'geopackage'],
      [BRP_GEOJSON, 'parcels.txt', 'geojson'],
      [zip, 'parcels.bin', 'shapefile'],
    ];
    for (const [source, name, format] of cases) {
      const byName = await openParcelFile(source);
      assert.equal(byName.format, format);
      await byName.close();
      const copy = path.join(dir, name);
      copyFileSync(source, copy);
      const sniffed = await openParcelFile(copy);
      assert.equal(sniffed.format, format, name);
      await sniffed.close();
    }
  });

  it('says when the file does not exist', async () => {
    await assert.rejects(
      openParcelFile(path.join(dir, 'missing.geojson')),
      /missing\.geojson does not exist or is not a file/,
    );
    await assert.rejects(openParcelFile(dir), /does not exist or is not a file/);
  });
});
