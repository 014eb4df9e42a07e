import assert from 'node:assert/strict';
import { BadDataError } from '../../../src/core/errors';
import { decodeGeoPackageGeometry, decodeWkb } from '../../../src/core/geo/wkb';

/**
 * WKB written here by hand, byte by byte from the OGC / PostGIS layouts, so the decoder is checked
 * against the specification rather than against itself.
 */
class WkbWriter {
  private readonly bytes: number[] = [];
  constructor(private readonly little = true) {}

  header(type: number): this {
    this.bytes.push(this.little ? 1 : 0);
    return this.uint32(type);
  }

  uint32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, value, this.little);
    this.bytes.push(...new Uint8Array(view.buffer));
    return this;
  }

  doubles(...values: number[]): this {
    for (const value of values) {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, value, this.little);
      this.bytes.push(...new Uint8Array(view.buffer));
    }
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.bytes.push(...bytes);
    return this;
  }

  done(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

const UNIT_SQUARE = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
  [0, 0],
];

function polygonWkb(little: boolean, type = 3, extra: number[] = []): Uint8Array {
  const w = new WkbWriter(little).header(type).uint32(1).uint32(UNIT_SQUARE.length);
  for (const [x, y] of UNIT_SQUARE) w.doubles(x, y, ...extra);
  return w.done();
}

describe('WKB and GeoPackage geometry decoding', () => {
  it('decodes a polygon in either byte order', () => {
    for (const little of [true, false]) {
      assert.deepEqual(decodeWkb(polygonWkb(little)), {
        type: 'Polygon',
        coordinates: [UNIT_SQUARE],
      });
    }
  });

  it('drops Z and M ordinates, whether ISO (1003, 2003, 3003) or EWKB flags say so', () => {
    const cases: Array<[number, number[]]> = [
      [1003, [7]],
      [2003, [7]],
      [3003, [7, 8]],
      [0x80000003, [7]],
      [0xc0000003, [7, 8]],
    ];
    for (const [type, extra] of cases) {
      assert.deepEqual(
        decodeWkb(polygonWkb(true, type, extra)),
        { type: 'Polygon', coordinates: [UNIT_SQUARE] },
        `type ${type.toString(16)}`,
      );
    }
  });

  it('skips the SRID of EWKB and decodes multipolygons with holes', () => {
    const hole = [
      [0.25, 0.25],
      [0.25, 0.75],
      [0.75, 0.75],
      [0.25, 0.25],
    ];
    const w = new WkbWriter().header(0x20000006).uint32(4326).uint32(2);
    w.header(3).uint32(2).uint32(5);
    for (const [x, y] of UNIT_SQUARE) w.doubles(x, y);
    w.uint32(4);
    for (const [x, y] of hole) w.doubles(x, y);
    w.raw(polygonWkb(false));
    assert.deepEqual(decodeWkb(w.done()), {
      type: 'MultiPolygon',
      coordinates: [[UNIT_SQUARE, hole], [UNIT_SQUARE]],
    });
  });

  it('decodes the other simple types so callers can name them', () => {
    const point = new WkbWriter().header(1).doubles(5, 52).done();
    assert.deepEqual(decodeWkb(point), { type: 'Point', coordinates: [5, 52] });
    const line = new WkbWriter().header(2).uint32(2).doubles(0, 0, 1, 1).done();
    assert.deepEqual(decodeWkb(line), {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1, 1],
      ],
    });
    const collection = new WkbWriter().header(7).uint32(2).raw(point).raw(line).done();
    assert.deepEqual(
      (decodeWkb(collection) as { geometries: Array<{ type: string }> }).geometries.map(
        (g) => g.type,
      ),
      ['Point', 'LineString'],
    );
    const multiPoint = new WkbWriter().header(4).uint32(1).raw(point).done();
    assert.deepEqual(decodeWkb(multiPoint), { type: 'MultiPoint', coordinates: [[5, 52]] });
    const multiLine = new WkbWriter().header(5).uint32(1).raw(line).done();
    assert.equal(decodeWkb(multiLine).type, 'MultiLineString');
  });

  it('refuses truncated WKB, curves, wrong parts and bad byte-order marks with BadDataError', () => {
    const full = polygonWkb(true);
    assert.throws(() => decodeWkb(full.subarray(0, full.length - 3)), /WKB is truncated/);
    assert.throws(
      () => decodeWkb(new WkbWriter().header(10).uint32(0).done()),
      /type 10 \(CurvePolygon\) is not supported/,
    );
    const wrongPart = new WkbWriter()
      .header(6)
      .uint32(1)
      .raw(new WkbWriter().header(1).doubles(0, 0).done());
    assert.throws(() => decodeWkb(wrongPart.done()), /MultiPolygon holds a Point/);
    assert.throws(() => decodeWkb(new Uint8Array([2, 0, 0, 0, 3])), BadDataError);
  });

  it('reads the GeoPackage header: byte order, SRS id, each envelope size, the empty flag', () => {
    const envelopeBytes = [0, 32, 48, 48, 64];
    envelopeBytes.forEach((size, indicator) => {
      for (const little of [true, false]) {
        const header = new Uint8Array(8);
        header.set([0x47, 0x50, 0, (indicator << 1) | (little ? 1 : 0)]);
        new DataView(header.buffer).setInt32(4, 28992, little);
        const blob = new WkbWriter()
          .raw(header)
          .raw(new Uint8Array(size).fill(0xff))
          .raw(polygonWkb(!little))
          .done();
        const decoded = decodeGeoPackageGeometry(blob);
        assert.equal(decoded.srsId, 28992);
        assert.equal(decoded.empty, false);
        assert.deepEqual(decoded.geometry, { type: 'Polygon', coordinates: [UNIT_SQUARE] });
      }
    });
    const empty = new Uint8Array([0x47, 0x50, 0, 0x11, 0, 0, 0, 0]);
    const emptyPolygon = new WkbWriter().header(3).uint32(0).done();
    const decoded = decodeGeoPackageGeometry(new WkbWriter().raw(empty).raw(emptyPolygon).done());
    assert.deepEqual(
      [decoded.empty, decoded.geometry],
      [true, { type: 'Polygon', coordinates: [] }],
    );
  });

  it('refuses blobs that are not GeoPackage geometries', () => {
    assert.throws(
      () => decodeGeoPackageGeometry(polygonWkb(true)),
      /does not start with the "GP" magic/,
    );
    const extended = new Uint8Array([0x47, 0x50, 0, 0x21, 0, 0, 0, 0]);
    assert.throws(() => decodeGeoPackageGeometry(extended), /extended/);
    const badEnvelope = new Uint8Array([0x47, 0x50, 0, 0x0b, 0, 0, 0, 0]);
    assert.throws(() => decodeGeoPackageGeometry(badEnvelope), /invalid envelope indicator 5/);
  });
});
