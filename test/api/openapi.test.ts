import assert from 'node:assert/strict';
import type { OpenApiDocument, Operation } from '../../src/api/openapi';
import type { Database } from '../../src/store/db/database';
import { finishRun, startRun } from '../../src/store/db/runs-repo';
import { isolatedDatabase } from '../store/db/isolated-schema';
import { startTestApi, type TestApi } from './harness';
import { validate } from './json-schema';
import { type Seeded, seedSeries } from './seed';

type Schema = { [keyword: string]: unknown };

describe('API OpenAPI document (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Database;
  let api: TestApi;
  let seeded: Seeded;
  let doc: OpenApiDocument;

  before(async () => {
    db = await isolatedDatabase('pw_api_openapi');
    seeded = await seedSeries(db, { parcelsPerSource: 2, acquisitions: 6, seed: 9 });
    await startRun(db, {
      workflowId: 'weekly-2024-W11',
      runId: 'r1',
      kind: 'weekly',
      trigger: 'manual',
    });
    await finishRun(db, {
      workflowId: 'weekly-2024-W11',
      runId: 'r1',
      status: 'completed',
      counts: { groups: 1 },
      kpis: { okShare: 0.9, parcelsObserved: 4 },
    });
    await startRun(db, {
      workflowId: 'weekly-2024-W12',
      runId: 'r2',
      kind: 'weekly',
      trigger: 'schedule',
      window: { start: '2024-03-18T00:00:00.000Z', end: '2024-03-25T00:00:00.000Z' },
    });
    api = await startTestApi(db);
    const response = await api.get('/openapi.json', null);
    assert.equal(response.statusCode, 200);
    doc = response.json();
  });
  after(async () => {
    await api?.app.close();
    await db?.close();
  });

  const resolve = (ref: string): Schema => {
    const match = /^#\/components\/schemas\/(\w+)$/.exec(ref);
    const schema = match && doc.components.schemas[match[1]!];
    if (!schema) throw new Error(`unresolved $ref ${ref}`);
    return schema;
  };

  function operations(): Array<{ path: string; method: string; operation: Operation }> {
    return Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
  }

  it('is an OpenAPI 3.1 document with info, security schemes, and every route of the API', () => {
    assert.equal(doc.openapi, '3.1.0');
    const info = doc.info as { title: string; version: string };
    assert.equal(info.title, 'parcelwatch API');
    assert.equal(info.version, 'test-version');
    const listed = operations().map((o) => `${o.method.toUpperCase()} ${o.path}`);
    assert.deepEqual(listed.sort(), [
      'GET /v1/datasets',
      'GET /v1/datasets/{name}',
      'GET /v1/exports/latest.geojson',
      'GET /v1/exports/series.csv',
      'GET /v1/exports/series.parquet',
      'GET /v1/health',
      'GET /v1/map/latest',
      'GET /v1/parcels',
      'GET /v1/parcels/{id}',
      'GET /v1/parcels/{id}/observations',
      'GET /v1/parcels/{id}/weekly',
      'GET /v1/runs',
      'GET /v1/runs/{workflowId}',
      'POST /v1/parcels/unwatch',
      'POST /v1/parcels/watch',
    ]);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), [
      'apiKeyHeader',
      'bearerAuth',
    ]);
  });

  it('describes each operation fully: unique id, tag, 2xx response, path parameters matching the template, security', () => {
    const ids = new Set<string>();
    const tags = new Set((doc.tags as Array<{ name: string }>).map((t) => t.name));
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`;
      assert.ok(!ids.has(operation.operationId), `${where}: duplicate operationId`);
      ids.add(operation.operationId);
      assert.ok(operation.summary, where);
      assert.ok(
        operation.tags.every((t) => tags.has(t)),
        where,
      );
      const statuses = Object.keys(operation.responses);
      assert.ok(
        statuses.some((s) => /^2\d\d$/.test(s)),
        `${where}: no 2xx response`,
      );
      for (const [status, response] of Object.entries(operation.responses)) {
        assert.ok(response.description, `${where} ${status}: no description`);
      }
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(declared.map((p) => p.name).sort(), templated, where);
      assert.ok(
        declared.every((p) => p.required),
        where,
      );
      for (const parameter of operation.parameters ?? [])
        assert.ok(parameter.schema, `${where} ${parameter.name}`);
      if (path === '/v1/health') {
        assert.deepEqual(operation.security, []);
      } else {
        assert.ok(operation.security.length > 0, `${where}: no security`);
        for (const requirement of operation.security) {
          for (const [scheme, scopes] of Object.entries(requirement)) {
            assert.ok(scheme in doc.components.securitySchemes, `${where}: ${scheme}`);
            assert.deepEqual(scopes, [method === 'post' ? 'write' : 'read'], where);
          }
        }
        assert.ok(
          '401' in operation.responses &&
            '403' in operation.responses &&
            '429' in operation.responses,
          where,
        );
      }
    }
  });

  it('resolves every $ref of the document', () => {
    const refs: string[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, item] of Object.entries(value)) {
          if (key === '$ref') refs.push(item as string);
          else walk(item);
        }
      }
    };
    walk(doc);
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.doesNotThrow(() => resolve(ref), ref);
  });

  it('gives examples that are valid against their schemas, for every response that has one', () => {
    let checked = 0;
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [mediaType, content] of Object.entries(response.content ?? {})) {
          if (content.example === undefined) continue;
          const problems = validate(content.schema, content.example, resolve);
          assert.deepEqual(problems, [], `${method} ${path} ${status} ${mediaType}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 40, `${checked} examples`);
  });

  it('has a validator that would notice an example or response not matching its schema', () => {
    const parcel = doc.components.schemas.Parcel!;
    const example = doc.paths['/v1/parcels/{id}']!.get!.responses['200']!.content![
      'application/json'
    ]!.example as Record<string, unknown>;
    assert.deepEqual(
      validate(parcel, { ...example, geometry: undefined, extra: 1 }, resolve).length > 0,
      true,
    );
    assert.ok(validate(parcel, { ...example, id: '42' }, resolve).some((p) => p.includes('$.id')));
    const { crop: _crop, ...withoutCrop } = example;
    assert.ok(validate(parcel, withoutCrop, resolve).some((p) => p.includes('"crop"')));
    assert.ok(
      validate(resolve('#/components/schemas/Observation'), { status: 'fine' }, resolve).length > 5,
    );
  });

  it('serves every operation it documents', () => {
    for (const { path, method } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      assert.ok(
        api.app.hasRoute({ method: method.toUpperCase() as 'GET', url }),
        `${method} ${path}`,
      );
    }
  });

  it('answers with bodies that match the documented schema of their status and media type', async () => {
    const id = seeded.watchedIds[0]!;
    const calls: Array<[string, string, string?]> = [
      ['GET', '/v1/parcels?limit=2'],
      ['GET', '/v1/parcels?format=geojson&limit=2'],
      ['GET', `/v1/parcels/${id}`],
      ['GET', `/v1/parcels/${id}/observations?limit=5`],
      ['GET', `/v1/parcels/${id}/weekly`],
      ['GET', '/v1/map/latest?index=ndvi'],
      ['GET', '/v1/map/latest?index=ndvi&zoom=9&bbox=14,45,16,46'],
      ['GET', '/v1/exports/latest.geojson?index=ndmi'],
      ['GET', '/v1/runs'],
      ['GET', '/v1/runs/weekly-2024-W11'],
      ['GET', '/v1/datasets'],
      ['GET', '/v1/datasets/ndvi'],
      ['GET', '/v1/datasets/weekly'],
      ['GET', '/v1/datasets/no-such-dataset'],
      ['GET', '/v1/health', 'public'],
      ['POST', '/v1/parcels/watch'],
      ['GET', '/v1/parcels?limit=100000'],
      ['GET', '/v1/parcels/999999'],
      ['GET', '/v1/runs', 'none'],
      ['GET', '/v1/runs', 'write'],
    ];
    for (const [method, url, as] of calls) {
      const response =
        method === 'POST'
          ? await api.post(url, { ids: [id] })
          : await api.get(
              url,
              as === 'none' || as === 'public' ? null : as === 'write' ? api.writeKey : undefined,
            );
      const path = url.split('?')[0]!;
      const template =
        Object.keys(doc.paths).find((p) => p === path) ??
        Object.keys(doc.paths).find((p) =>
          new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
        )!;
      const operation = doc.paths[template]![method.toLowerCase()]!;
      const documented = operation.responses[String(response.statusCode)];
      assert.ok(documented, `${method} ${url}: status ${response.statusCode} is not documented`);
      const mediaType = String(response.headers['content-type']).split(';')[0]!;
      const content = documented.content?.[mediaType];
      assert.ok(
        content,
        `${method} ${url}: ${mediaType} is not documented for ${response.statusCode}`,
      );
      assert.deepEqual(validate(content.schema, response.json(), resolve), [], `${method} ${url}`);
    }
  });
});
