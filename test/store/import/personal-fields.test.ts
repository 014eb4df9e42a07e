import assert from 'node:assert/strict';
import { chooseFieldMapping, mapAttributes } from '../../../src/store/import/field-mapping';
import {
  choosePersonalFields,
  personalValues,
  recognisePersonalField,
} from '../../../src/store/import/personal-fields';

describe('personal fields of parcel files', () => {
  it('recognises names, contact values and personal ids in several languages, and nothing else', () => {
    const names = [
      'farmer_name',
      'Farmer Name',
      'holder',
      'HOLDER_NAME',
      'owner_name',
      'contact_person',
      'first_name',
      'LastName',
      'surname',
      'landbouwer',
      'agriculteur',
      'Landwirt',
      'titular',
    ];
    for (const field of names) assert.equal(recognisePersonalField(field), 'name', field);
    const others = [
      'email',
      'E-Mail',
      'farmer_email',
      'phone',
      'contact_phone',
      'tel',
      'mobile',
      'telefoon',
      'address',
      'adresse',
      'contact',
      'bsn',
      'date_of_birth',
    ];
    for (const field of others) assert.equal(recognisePersonalField(field), 'other', field);
    const parcelFields = [
      'name',
      'naam',
      'owner',
      'owner_team',
      'team',
      'crop',
      'gewas',
      'area',
      'parcel_id',
      'hotel',
      'telemetry',
      'mailbox_count',
      'category',
    ];
    for (const field of parcelFields) assert.equal(recognisePersonalField(field), undefined, field);
  });

  it('takes named fields whatever their name, and never a field mapped to a parcel role', () => {
    const fields = ['id', 'farmer', 'notes', 'email', 'owner_name'];
    assert.deepEqual(choosePersonalFields(fields, ['notes'], new Set(['farmer'])), [
      { field: 'notes', kind: 'other', chosenBy: 'option' },
      { field: 'email', kind: 'other', chosenBy: 'guess' },
      { field: 'owner_name', kind: 'name', chosenBy: 'guess' },
    ]);
  });

  it('joins the name fields into the holder name and leaves empty values out', () => {
    const personal = choosePersonalFields(
      ['first_name', 'last_name', 'phone', 'email'],
      [],
      new Set(),
    );
    assert.deepEqual(
      personalValues(
        { first_name: ' Jan ', last_name: 'Jansen', phone: 612345678, email: '' },
        personal,
      ),
      {
        holderName: 'Jan Jansen',
        fields: { first_name: 'Jan', last_name: 'Jansen', phone: '612345678' },
      },
    );
    assert.equal(personalValues({ a: 1 }, []), null, 'no personal field: nothing to say');
  });

  it('keeps personal values out of the attributes the importer stores', () => {
    const file = {
      describe: 'fields.geojson',
      fields: ['id', 'crop', 'farmer_name', 'farmer_email', 'remarks', 'year'],
      featureIdName: undefined,
    };
    const mapping = chooseFieldMapping(file, { personalFields: ['remarks'] });
    const mapped = mapAttributes(
      {
        row: 1,
        featureId: undefined,
        properties: {
          id: 'P1',
          crop: 'wheat',
          farmer_name: 'Jan Jansen',
          farmer_email: 'jan@example.org',
          remarks: 'calls after 6 pm',
          year: 2024,
        },
        geometry: null,
      },
      mapping,
    );
    assert.deepEqual(mapped.attributes, { year: 2024 });
    assert.deepEqual(mapped.personal, {
      holderName: 'Jan Jansen',
      fields: {
        farmer_name: 'Jan Jansen',
        farmer_email: 'jan@example.org',
        remarks: 'calls after 6 pm',
      },
    });
  });

  it('lets --personal-fields take a field from a guessed role, and refuses one given for two', () => {
    const file = {
      describe: 'f.geojson',
      fields: ['id', 'naam', 'crop'],
      featureIdName: undefined,
    };
    const mapping = chooseFieldMapping(file, { personalFields: ['naam'] });
    assert.equal(mapping.name, undefined, 'naam is personal here, not the parcel name');
    assert.deepEqual(
      mapping.personal.map((p) => p.field),
      ['naam'],
    );
    assert.throws(
      () => chooseFieldMapping(file, { nameField: 'naam', personalFields: ['naam'] }),
      /attribute "naam" is given both as --name-field and in --personal-fields/,
    );
    assert.throws(
      () => chooseFieldMapping(file, { personalFields: ['telefoon'] }),
      /f\.geojson has no attribute "telefoon" \(--personal-fields\)/,
    );
  });
});
