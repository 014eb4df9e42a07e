import assert from 'node:assert/strict';
import {
  hexToRgb,
  legendGradient,
  NDVI_STOPS,
  NO_VALUE_COLOUR,
  rampColour,
  rampExpression,
} from '../../../src/api/web/colour-ramp.js';

// The ramp's stops, written out by hand: brown #8c510a, yellow #f6d04d, green #1a7f37.
const BROWN = { r: 140, g: 81, b: 10 };
const YELLOW = { r: 246, g: 208, b: 77 };
const GREEN = { r: 26, g: 127, b: 55 };
const GREY = { r: 158, g: 158, b: 158 };

describe('web page NDVI colour ramp', () => {
  it('runs brown at NDVI 0, yellow at 0.4 and green at 0.8', () => {
    assert.deepEqual(rampColour(0), BROWN);
    assert.deepEqual(rampColour(0.4), YELLOW);
    assert.deepEqual(rampColour(0.8), GREEN);
  });

  it('interpolates linearly in RGB between stops', () => {
    const mid = rampColour(0.2);
    assert.ok(Math.abs(mid.r - 193) < 1e-9, `r ${mid.r}`);
    assert.ok(Math.abs(mid.g - 144.5) < 1e-9, `g ${mid.g}`);
    assert.ok(Math.abs(mid.b - 43.5) < 1e-9, `b ${mid.b}`);
    const quarter = rampColour(0.5); // a quarter of the way from yellow to green
    assert.ok(Math.abs(quarter.r - (246 + 0.25 * (26 - 246))) < 1e-9);
    assert.ok(Math.abs(quarter.g - (208 + 0.25 * (127 - 208))) < 1e-9);
    assert.ok(Math.abs(quarter.b - (77 + 0.25 * (55 - 77))) < 1e-9);
  });

  it('clamps values beyond the ramp to its end colours', () => {
    assert.deepEqual(rampColour(-0.6), BROWN);
    assert.deepEqual(rampColour(0.95), GREEN);
  });

  it('paints parcels without a value grey', () => {
    assert.deepEqual(hexToRgb(NO_VALUE_COLOUR), GREY);
    assert.deepEqual(rampColour(null), GREY);
    assert.deepEqual(rampColour(undefined), GREY);
    assert.deepEqual(rampColour(Number.NaN), GREY);
  });

  it('refuses a colour that is not #rrggbb', () => {
    assert.throws(() => hexToRgb('green'), /colour green is not #rrggbb/);
  });

  it('gives MapLibre the same stops, grey when the property is not a number', () => {
    assert.deepEqual(rampExpression('value'), [
      'case',
      ['==', ['typeof', ['get', 'value']], 'number'],
      ['interpolate', ['linear'], ['get', 'value'], 0, '#8c510a', 0.4, '#f6d04d', 0.8, '#1a7f37'],
      '#9e9e9e',
    ]);
    assert.equal(NDVI_STOPS.length, 3);
  });

  it('places the legend gradient stops by value along the bar', () => {
    assert.equal(
      legendGradient(),
      'linear-gradient(to right, #8c510a 0%, #f6d04d 50%, #1a7f37 100%)',
    );
    const uneven = [
      { value: 0, colour: '#000000' },
      { value: 0.1, colour: '#808080' },
      { value: 0.4, colour: '#ffffff' },
    ];
    assert.equal(
      legendGradient(uneven),
      'linear-gradient(to right, #000000 0%, #808080 25%, #ffffff 100%)',
    );
  });
});
