import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CRS_DEFINITIONS } from '../../../src/core/geo/crs-registry';
import { epsgOfCrsName, epsgOfWkt, wktName } from '../../../src/store/import/wkt-crs';

function gdalWkt(format: string, epsg: number): string {
  return execFileSync('gdalsrsinfo', ['--single-line', '-o', format, `EPSG:${epsg}`], {
    encoding: 'utf8',
  }).trim();
}

describe('CRS of a WKT description (.prj, GeoPackage definitions)', () => {
  it("recognises GDAL's ESRI WKT (.prj files) of every named system of the registry and of UTM zones", () => {
    const codes = [
      ...[...CRS_DEFINITIONS.keys()].filter((code) => code < 25800 || code > 32800),
      32631,
      32733,
      25832,
    ];
    for (const code of codes) {
      const wkt = gdalWkt('wkt_esri', code);
      assert.equal(epsgOfWkt(wkt), code, `EPSG:${code}: ${wktName(wkt)}`);
    }
  });

  it('takes the top-level EPSG authority of WKT1 and WKT2, not the one of the base CRS', () => {
    assert.equal(epsgOfWkt(gdalWkt('wkt1', 28992)), 28992);
    assert.equal(epsgOfWkt(gdalWkt('wkt2', 28992)), 28992);
    const nestedOnly =
      'PROJCS["My local grid",GEOGCS["Amersfoort",AUTHORITY["EPSG","4289"]],PROJECTION["Oblique_Stereographic"]]';
    assert.equal(epsgOfWkt(nestedOnly), undefined);
  });

  it('knows registry names whatever their punctuation, and nothing else', () => {
    assert.equal(epsgOfCrsName('Amersfoort / RD New'), 28992);
    assert.equal(epsgOfCrsName('WGS 84 / UTM zone 31N'), 32631);
    assert.equal(epsgOfCrsName('WGS_84_UTM_zone_56S'), 32756);
    assert.equal(epsgOfCrsName('ETRS89 / UTM zone 33N'), 25833);
    assert.equal(epsgOfCrsName('unknown'), undefined);
    assert.equal(epsgOfCrsName(''), undefined);
    assert.equal(wktName('  PROJCS["RD_New",GEOGCS[…]]'), 'RD_New');
  });
});
