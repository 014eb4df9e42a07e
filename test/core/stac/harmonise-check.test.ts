import assert from 'node:assert/strict';
import { decideHarmonisation } from '../../../src/core/stac/harmonise';
import {
  checkHarmonisation,
  MAX_NEGATIVE_FRACTION,
  MIN_CHECK_PIXELS,
} from '../../../src/core/stac/harmonise-check';

/**
 * Synthetic red DN over land: true reflectance spread evenly from 0.02 (dense vegetation) to 0.30
 * (bright soil), stored as L2A stores it — `extraDn` is the +1000 of BOA_ADD_OFFSET when it was
 * never removed, 0 when it was.
 */
function landRed(pixels: number, extraDn: number): Uint16Array {
  const dn = new Uint16Array(pixels);
  for (let i = 0; i < pixels; i++)
    dn[i] = Math.round((0.02 + (0.28 * i) / pixels) * 10000) + extraDn;
  return dn;
}

const offsetApplied = decideHarmonisation(
  { 's2:processing_baseline': '05.09', 'earthsearch:boa_offset_applied': true },
  { scale: 0.0001, offset: -0.1 },
);
const offsetNotApplied = decideHarmonisation(
  { 's2:processing_baseline': '05.09', 'earthsearch:boa_offset_applied': false },
  { scale: 0.0001, offset: -0.1 },
);
const oldBaseline = decideHarmonisation({ 's2:processing_baseline': '02.14' }, null);

describe('harmonisation data check', () => {
  it('passes a right decision: offset 0 on DN whose offset was removed', () => {
    const check = checkHarmonisation(offsetApplied, { band: 'B04', dn: landRed(5000, 0) });
    assert.equal(check.status, 'ok');
    assert.deepEqual(check.reasons, []);
    assert.equal(check.negativeFraction, 0);
  });

  it('passes a right decision: offset −0.1 on DN that still carry the +1000', () => {
    const check = checkHarmonisation(offsetNotApplied, { band: 'B04', dn: landRed(5000, 1000) });
    assert.equal(check.status, 'ok');
  });

  it('flags an offset applied twice: −0.1 on DN already shifted turns most land negative', () => {
    const dn = landRed(5000, 0);
    const check = checkHarmonisation(offsetNotApplied, { band: 'B04', dn });
    // Reflectance 0.02–0.30 minus 0.1: every pixel below 0.1 goes negative, 8/28 of them.
    assert.equal(check.status, 'suspect');
    assert.ok(check.negativeFraction! > MAX_NEGATIVE_FRACTION);
    assert.ok(Math.abs(check.negativeFraction! - 8 / 28) < 0.01, `${check.negativeFraction}`);
    assert.match(check.reasons[0]!, /applied twice/);
  });

  it('tolerates a few negative pixels (shadows the SCL missed) below the 1 % threshold', () => {
    const dn = landRed(5000, 1000);
    for (let i = 0; i < 40; i++) dn[i] = 900; // 0.8 % of pixels at reflectance −0.01
    const check = checkHarmonisation(offsetNotApplied, { band: 'B04', dn });
    assert.equal(check.status, 'ok');
    assert.equal(check.negativeFraction, 40 / 5000);
  });

  it('flags a missing offset: baseline ≥ 04.00, offset 0, and no red pixel below 1000 DN', () => {
    const dn = landRed(5000, 1000);
    const check = checkHarmonisation(offsetApplied, { band: 'B04', dn });
    assert.equal(check.status, 'suspect');
    // 1st percentile of 0.02 + 0.28·i/5000 at i ≈ 50: reflectance ≈ 0.0228, DN ≈ 1228.
    assert.ok(check.p01Dn! >= 1220 && check.p01Dn! <= 1235, `${check.p01Dn}`);
    assert.match(check.reasons[0]!, /never applied/);
  });

  it('does not read bright DN as a missing offset on a baseline before 04.00', () => {
    const check = checkHarmonisation(oldBaseline, { band: 'B04', dn: landRed(5000, 1000) });
    assert.equal(check.status, 'ok');
  });

  it('does not flag bright NIR over vegetation as a missing offset', () => {
    // NIR of vegetation is 0.25–0.50: bright with the offset correctly removed.
    const dn = new Uint16Array(5000).map((_, i) => 2500 + i / 2);
    const check = checkHarmonisation(offsetApplied, { band: 'B08', dn });
    assert.equal(check.status, 'ok');
  });

  it('ignores nodata DN 0 and is inconclusive on too small a sample', () => {
    const dn = new Uint16Array(MIN_CHECK_PIXELS + 500);
    dn.set(landRed(MIN_CHECK_PIXELS - 1, 0));
    const check = checkHarmonisation(offsetNotApplied, { band: 'B04', dn });
    assert.equal(check.status, 'inconclusive');
    assert.equal(check.pixels, MIN_CHECK_PIXELS - 1);
    assert.equal(check.negativeFraction, null);
  });
});
