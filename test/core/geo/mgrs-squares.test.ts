import assert from 'node:assert/strict';
import { BadInputError } from '../../../src/core/errors';
import {
  gridZoneCell,
  latitudeBand,
  parseSquareId,
  squareIdAt,
  utmZoneOf,
} from '../../../src/core/geo/mgrs-squares';

describe('MGRS squares', () => {
  it('numbers UTM zones every 6° from 180°W, with 180° itself in zone 60', () => {
    assert.equal(utmZoneOf(-180, 0), 1);
    assert.equal(utmZoneOf(-174.0001, 0), 1);
    assert.equal(utmZoneOf(15, 45), 33);
    assert.equal(utmZoneOf(179.99, 0), 60);
    assert.equal(utmZoneOf(180, 0), 60);
  });

  it('widens zone 32 over western Norway and merges zones around Svalbard', () => {
    assert.equal(utmZoneOf(3, 56), 32);
    assert.equal(utmZoneOf(2.99, 60), 31);
    assert.equal(utmZoneOf(5, 64), 31, 'band W keeps the regular zones');
    assert.equal(utmZoneOf(8.99, 72), 31);
    assert.equal(utmZoneOf(9, 72), 33);
    assert.equal(utmZoneOf(20.99, 80), 33);
    assert.equal(utmZoneOf(41.99, 80), 37);
    assert.equal(utmZoneOf(42, 80), 38);
    assert.equal(gridZoneCell(32, 'X'), undefined);
    assert.deepEqual(gridZoneCell(31, 'V')?.bbox, [0, 56, 3, 64]);
    assert.deepEqual(gridZoneCell(33, 'X')?.bbox, [9, 72, 21, 84]);
  });

  it('letters latitude bands every 8° from 80°S, X spanning 72–84°N', () => {
    assert.equal(latitudeBand(-80), 'C');
    assert.equal(latitudeBand(-0.0001), 'M');
    assert.equal(latitudeBand(0), 'N');
    assert.equal(latitudeBand(45), 'T');
    assert.equal(latitudeBand(72), 'X');
    assert.equal(latitudeBand(84), 'X');
    assert.throws(() => latitudeBand(84.01), BadInputError);
  });

  it('letters columns by zone set and rows with the even-zone offset', () => {
    assert.equal(squareIdAt(33, 'T', 550_000, 5_050_000), '33TWL');
    assert.equal(squareIdAt(29, 'R', 250_000, 2_750_000), '29RKH');
    assert.equal(squareIdAt(31, 'N', 250_000, 850_000), '31NBJ');
    // Even zones start rows at F: northing 0 in zone 30 is row F.
    assert.equal(squareIdAt(30, 'N', 850_000, 50_000), '30NZF');
  });

  it('decodes the northing cycle (rows repeat every 2000 km) from the latitude band', () => {
    assert.equal(parseSquareId('33TWL').southEdge, 5_000_000);
    assert.equal(
      parseSquareId('33UWU').southEdge,
      5_800_000,
      'not 3 800 km: band U starts near 5 320 km',
    );
    assert.equal(
      parseSquareId('55HFA').southEdge,
      6_000_000,
      'southern: with the 10 000 km false northing',
    );
    assert.equal(parseSquareId('31NBJ').southEdge, 800_000);
  });

  it('decodes a square straddling a band edge to the same place under both band letters', () => {
    // 48°N crosses zone 33's row P (5 300–5 400 km): it is both 33TWP and 33UWP.
    const [t, u] = [parseSquareId('33TWP'), parseSquareId('33UWP')];
    assert.deepEqual([t.west, t.southEdge], [u.west, u.southEdge]);
    assert.equal(t.southEdge, 5_300_000);
    assert.throws(() => parseSquareId('33UWL'), BadInputError, 'row L never reaches band U');
  });
});
