import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db/database';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { startTestApi, type TestApi } from './harness';
import { seedSeries } from './seed';

describe('API input validation (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let id: number;

  before(async () => {
    db = await isolatedDatabase('pw_api_validation');
    id = (await seedSeries(db, { parcelsPerSource: 1, acquisitions: 2, seed: 3 })).parcelIds[0]!;
    api = await startTestApi(db);
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  /** Asserts a 400 whose details name exactly these parameters, each also named in the message. */
  async function refused(url: string, names: string[], where = 'query'): Promise<void> {
    const response = await api.get(url);
    assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
    const body = response.json();
    assert.equal(body.error, 'invalid_request');
    assert.deepEqual(
      body.details.map((d: { name: string }) => d.name).sort(),
      [...names].sort(),
      `${url}: ${response.body}`,
    );
    for (const detail of body.details) assert.equal(detail.in, where, url);
    for (const name of names) assert.ok(body.message.includes(name), `${url}: ${body.message}`);
  }

  it('names out-of-range, malformed and unknown query parameters', async () => {
    await refused('/v1/parcels?limit=5000', ['limit']);
    await refused('/v1/parcels?limit=0', ['limit']);
    await refused('/v1/parcels?colour=green', ['colour']);
    await refused('/v1/parcels?watched=maybe', ['watched']);
    await refused('/v1/parcels?format=kml', ['format']);
    await refused('/v1/parcels?ids=1,x', ['ids']);
    await refused('/v1/runs?status=sleeping', ['status']);
    await refused(`/v1/parcels/${id}/observations?index=foo`, ['index']);
    await refused(`/v1/parcels/${id}/observations?status=fine`, ['status']);
  });

  it('reports every faulty parameter of a request at once', async () => {
    await refused('/v1/parcels?limit=0&colour=green&watched=2', ['limit', 'colour', 'watched']);
  });

  it('names a bounding box that is malformed, out of range or inverted', async () => {
    await refused('/v1/parcels?bbox=1,2,3', ['bbox']);
    await refused('/v1/parcels?bbox=200,0,201,1', ['bbox']);
    await refused('/v1/parcels?bbox=10,50,5,60', ['bbox']);
    await refused('/v1/map/latest?index=ndvi&bbox=1,95,2,96', ['bbox']);
  });

  it('names dates, weeks and ranges that do not exist or run backwards', async () => {
    await refused(`/v1/parcels/${id}/observations?from=2024-02-30`, ['from']);
    await refused(`/v1/parcels/${id}/observations?to=yesterday`, ['to']);
    await refused(`/v1/parcels/${id}/observations?from=2024-05-01&to=2024-04-01`, ['to']);
    await refused(`/v1/parcels/${id}/weekly?fromWeek=2021-W53`, ['fromWeek']);
    await refused(`/v1/parcels/${id}/weekly?fromWeek=2024-W10&toWeek=2024-W02`, ['toWeek']);
    await refused(`/v1/parcels/${id}/weekly?toWeek=2024-10`, ['toWeek']);
  });

  it('names a cursor that is not one of the list', async () => {
    await refused('/v1/parcels?cursor=garbage', ['cursor']);
    const observationsCursor = Buffer.from(JSON.stringify(['ndvi', 'not a time'])).toString(
      'base64url',
    );
    await refused(`/v1/parcels/${id}/observations?cursor=${observationsCursor}`, ['cursor']);
    // A parcel-list cursor is not an observations cursor.
    await refused(
      `/v1/parcels/${id}/observations?cursor=${Buffer.from('[5]').toString('base64url')}`,
      ['cursor'],
    );
  });

  it('names missing required parameters and unknown indices of exports and the map', async () => {
    await refused('/v1/map/latest', ['index']);
    await refused('/v1/exports/latest.geojson', ['index']);
    await refused('/v1/exports/series.csv?indices=ndvi,xyz', ['indices']);
    await refused('/v1/exports/series.parquet?kind=monthly', ['kind']);
  });

  it('names a path parameter that is neither an id nor source:externalId', async () => {
    await refused('/v1/parcels/abc', ['id'], 'path');
    await refused('/v1/parcels/abc:/weekly', ['id'], 'path');
  });

  it('names body fields that are missing, unknown or of the wrong type', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{}, ['body']],
      [{ ids: 'x' }, ['ids']],
      [{ ids: [1], extra: true }, ['extra']],
      [{ ids: [0] }, ['ids.0']],
      [{ ids: [1], source: 'src-a' }, ['ids']],
    ];
    for (const [body, names] of cases) {
      const response = await api.post('/v1/parcels/watch', body);
      assert.equal(response.statusCode, 400, JSON.stringify(body));
      const problem = response.json();
      assert.equal(problem.error, 'invalid_request');
      assert.deepEqual(
        problem.details.map((d: { name: string }) => d.name),
        names,
        response.body,
      );
      assert.ok(problem.details.every((d: { in: string }) => d.in === 'body'));
    }
  });

  it('refuses a body that is not JSON (400), of another media type (415) or too large (413)', async () => {
    const headers = { authorization: `Bearer ${api.writeKey}` };
    const broken = await api.app.inject({
      method: 'POST',
      url: '/v1/parcels/watch',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{"ids": [1,',
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().error, 'invalid_request');
    const text = await api.app.inject({
      method: 'POST',
      url: '/v1/parcels/watch',
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: 'ids=1',
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error, 'unsupported_media_type');
    // The test server accepts 64 KiB.
    const large = await api.post('/v1/parcels/watch', {
      externalIds: Array(10_000).fill('p'.repeat(10)),
    });
    assert.equal(large.statusCode, 413);
    assert.equal(large.json().error, 'payload_too_large');
  });

  it('answers 404 with the error body to an unknown route, and never leaks an internal error text', async () => {
    const unknown = await api.get('/v1/parcelz');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().message, /no route GET \/v1\/parcelz/);
  });
});
