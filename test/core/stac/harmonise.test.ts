import assert from 'node:assert/strict';
import type { DeclaredRasterBand } from '../../../src/core/stac/bands';
import { decideHarmonisation, HARMONISATION_RULES } from '../../../src/core/stac/harmonise';
import { sceneFromItem } from '../../../src/core/stac/items';
import type { HarmonisationDecision } from '../../../src/core/stac/scene';
import { fixtureItem, fixtureItems } from './fixtures';

function decisionOf(id: string): HarmonisationDecision {
  const { item, baseUrl } = fixtureItem(id);
  const result = sceneFromItem(item, { requiredBands: ['B04', 'B08', 'B11', 'SCL'], baseUrl });
  if (!result.ok) assert.fail(result.rejected.reason);
  return result.scene.harmonisation;
}

/** Reflectance of a DN under a decision, as the masking step will compute it. */
const reflectance = (d: HarmonisationDecision, dn: number) => dn * d.scale + d.offset;

describe('harmonisation decision', () => {
  describe('on the fixture items', () => {
    const misleading = fixtureItems().filter((f) => /_33TW[LM]_/.test(f.file));

    it('has the ten 33TWL/33TWM items of baseline 05.09 with the flag set and −0.1 declared', () => {
      assert.equal(misleading.length, 10);
    });

    for (const { file } of misleading) {
      const id = file.replace('.json', '');
      it(`gives ${id} offset 0 although raster:bands declares −0.1 (offset already applied)`, () => {
        const d = decisionOf(id);
        assert.equal(d.rule, 'baseline-04.00-offset-applied');
        assert.equal(d.scale, 0.0001);
        assert.equal(d.offset, 0);
        assert.deepEqual(d.evidence, {
          processingBaseline: '05.09',
          boaOffsetApplied: true,
          declaredOffset: -0.1,
          declaredScale: 0.0001,
        });
        // A DN of 1500 is reflectance 0.15, not the 0.05 the declared offset would give.
        assert.ok(Math.abs(reflectance(d, 1500) - 0.15) < 1e-12);
      });
    }

    it('gives the 29RKH item (baseline 02.14) offset 0', () => {
      const d = decisionOf('S2A_29RKH_20200219_0_L2A');
      assert.equal(d.rule, 'baseline-before-04.00');
      assert.deepEqual([d.scale, d.offset], [0.0001, 0]);
      assert.equal(d.evidence.processingBaseline, '02.14');
      assert.equal(d.evidence.boaOffsetApplied, false);
    });

    it('gives the 2019 item (no s2:processing_baseline, no raster:bands) offset 0 from its product id', () => {
      const d = decisionOf('S2A_31NBJ_20190524_0_L2A');
      // N0212 in sentinel:product_id: baseline 02.12, before the offset existed.
      assert.equal(d.rule, 'baseline-before-04.00');
      assert.deepEqual([d.scale, d.offset], [0.0001, 0]);
      assert.deepEqual(d.evidence, {
        processingBaseline: '02.12',
        boaOffsetApplied: null,
        declaredOffset: null,
        declaredScale: null,
      });
    });
  });

  describe('every row of the table', () => {
    const l2a: DeclaredRasterBand = { scale: 0.0001, offset: -0.1 };
    const cases: Array<{
      name: string;
      properties: Record<string, unknown>;
      declared: DeclaredRasterBand | null;
      rule: string;
      scale: number;
      offset: number;
    }> = [
      {
        name: 'baseline < 04.00 ignores a declared −0.1',
        properties: { 's2:processing_baseline': '03.01' },
        declared: l2a,
        rule: 'baseline-before-04.00',
        scale: 0.0001,
        offset: 0,
      },
      {
        name: '≥ 04.00 with the offset applied by Earth Search gives 0',
        properties: { 's2:processing_baseline': '04.00', 'earthsearch:boa_offset_applied': true },
        declared: l2a,
        rule: 'baseline-04.00-offset-applied',
        scale: 0.0001,
        offset: 0,
      },
      {
        name: '≥ 04.00 with the offset not applied gives −0.1 even when 0 is declared',
        properties: { 's2:processing_baseline': '05.10', 'earthsearch:boa_offset_applied': false },
        declared: { scale: 0.0001, offset: 0 },
        rule: 'baseline-04.00-offset-not-applied',
        scale: 0.0001,
        offset: -0.1,
      },
      {
        name: '≥ 04.00 without the flag uses the declared offset',
        properties: { 's2:processing_baseline': '05.11' },
        declared: { scale: 0.0001, offset: -0.1 },
        rule: 'baseline-04.00-flag-absent',
        scale: 0.0001,
        offset: -0.1,
      },
      {
        name: '≥ 04.00 without the flag and nothing declared uses ESA’s −0.1',
        properties: { 's2:processing_baseline': '05.11' },
        declared: null,
        rule: 'baseline-04.00-flag-absent',
        scale: 0.0001,
        offset: -0.1,
      },
      {
        name: 'an unknown baseline uses the declared offset',
        properties: {},
        declared: { scale: 0.0001, offset: -0.1 },
        rule: 'baseline-unknown',
        scale: 0.0001,
        offset: -0.1,
      },
      {
        name: 'an unknown baseline with nothing declared gives 0',
        properties: {},
        declared: null,
        rule: 'baseline-unknown',
        scale: 0.0001,
        offset: 0,
      },
      {
        name: 'a declared scale other than 0.0001 keeps the publisher’s scale and offset',
        properties: { 's2:processing_baseline': '05.09', 'earthsearch:boa_offset_applied': true },
        declared: { scale: 1, offset: 0 },
        rule: 'declared-scale-not-l2a',
        scale: 1,
        offset: 0,
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        const d = decideHarmonisation(c.properties, c.declared);
        assert.deepEqual(
          { rule: d.rule, scale: d.scale, offset: d.offset },
          {
            rule: c.rule,
            scale: c.scale,
            offset: c.offset,
          },
        );
      });
    }

    it('covers every rule of the published table, each id once', () => {
      const ids = HARMONISATION_RULES.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(new Set(cases.map((c) => c.rule)), new Set(ids));
      for (const rule of HARMONISATION_RULES) {
        for (const field of ['condition', 'scale', 'offset', 'why'] as const) {
          assert.ok(rule[field].length > 0, `${rule.id} has a ${field}`);
        }
      }
    });

    it('ignores a flag that is not a boolean', () => {
      const d = decideHarmonisation(
        { 's2:processing_baseline': '05.09', 'earthsearch:boa_offset_applied': 'true' },
        null,
      );
      assert.equal(d.rule, 'baseline-04.00-flag-absent');
      assert.equal(d.evidence.boaOffsetApplied, null);
    });
  });
});
