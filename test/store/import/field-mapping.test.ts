import assert from 'node:assert/strict';
import {
  chooseFieldMapping,
  describeFieldMapping,
  mapAttributes,
} from '../../../src/store/import/field-mapping';

const brpLike = {
  describe: 'brp.gpkg',
  fields: ['category', 'gewas', 'gewascode', 'jaar', 'status'],
  featureIdName: 'id',
};

describe('field mapping of parcel files', () => {
  it('guesses the BRP crop attribute and takes the GeoPackage key as id, saying so', () => {
    const mapping = chooseFieldMapping(brpLike, {});
    assert.deepEqual(mapping.id, { kind: 'feature-id', field: 'id' });
    assert.deepEqual([mapping.crop, mapping.name, mapping.owner], ['gewas', undefined, undefined]);
    assert.deepEqual(describeFieldMapping(mapping), {
      id: `the file's feature id "id" (guessed)`,
      name: 'none',
      crop: '"gewas" (guessed)',
      owner: 'none',
    });
  });

  it('prefers an id attribute, matching names case-insensitively, and falls back to row numbers', () => {
    const fields = ['FID', 'Naam', 'CROP', 'Owner', 'area'];
    const mapping = chooseFieldMapping({ describe: 'f', fields, featureIdName: 'fid' }, {});
    assert.deepEqual(
      [mapping.id, mapping.name, mapping.crop, mapping.owner],
      [{ kind: 'field', field: 'FID' }, 'Naam', 'CROP', 'Owner'],
    );
    const none = chooseFieldMapping(
      { describe: 'f', fields: ['area'], featureIdName: undefined },
      {},
    );
    assert.deepEqual(none.id, { kind: 'row-number' });
    assert.match(describeFieldMapping(none).id, /row number/);
  });

  it('uses the fields given, refusing one the file lacks', () => {
    const mapping = chooseFieldMapping(brpLike, {
      idField: 'gewascode',
      cropField: 'category',
      nameField: 'status',
      ownerField: 'jaar',
    });
    assert.deepEqual(
      [mapping.id, mapping.crop, mapping.name, mapping.owner],
      [{ kind: 'field', field: 'gewascode' }, 'category', 'status', 'jaar'],
    );
    assert.equal(describeFieldMapping(mapping).crop, '"category" (given)');
    assert.deepEqual(chooseFieldMapping(brpLike, { idField: 'id' }).id, {
      kind: 'feature-id',
      field: 'id',
    });
    assert.throws(
      () => chooseFieldMapping(brpLike, { cropField: 'gewasnaam' }),
      /brp\.gpkg has no attribute "gewasnaam" \(--crop-field\); its attributes: category, gewas/,
    );
  });

  it('maps one feature: ids as text, blank values as null, other attributes kept', () => {
    const mapping = chooseFieldMapping(
      { describe: 'f', fields: ['pid', 'crop', 'name', 'year', 'sown'], featureIdName: undefined },
      { idField: 'pid' },
    );
    const sown = new Date('2024-03-01T00:00:00Z');
    const mapped = mapAttributes(
      {
        row: 3,
        featureId: undefined,
        properties: { pid: 17, crop: 'wheat', name: '  ', year: 2024, sown },
        geometry: null,
      },
      mapping,
    );
    assert.deepEqual(mapped, {
      externalId: '17',
      name: null,
      crop: 'wheat',
      ownerTeam: null,
      attributes: { year: 2024, sown },
    });
    const rowIds = chooseFieldMapping({ describe: 'f', fields: [], featureIdName: undefined }, {});
    assert.equal(
      mapAttributes({ row: 9, featureId: undefined, properties: {}, geometry: null }, rowIds)
        .externalId,
      '9',
    );
    assert.equal(
      mapAttributes(
        { row: 1, featureId: undefined, properties: { pid: null }, geometry: null },
        mapping,
      ).externalId,
      undefined,
    );
  });
});
