import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../src/config';
import { REPO_ROOT } from '../helpers/services';

interface ComposeService {
  image?: string;
  build?: string | object;
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
}

const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

/** Variables read by libraries rather than by src/config.ts. */
const LIBRARY_PREFIXES = [
  'OTEL_',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_GRPC_META_',
];

describe('docker-compose.yml', () => {
  it('defines the stack the README promises: PostGIS, Temporal and its UI, S3, OpenTelemetry collector, worker', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 's3', 'otel-collector', 'worker']) {
      assert.ok(compose.services[name], `service ${name} is missing`);
    }
    assert.match(compose.services.postgres?.image ?? '', /^postgis\/postgis:/);
  });

  it('gives every service an image or a build, and points dependencies and named volumes at things that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.image || service.build, `${name} has neither image nor build`);
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps)
        assert.ok(compose.services[dep], `${name} depends on unknown service ${dep}`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.'))
          assert.ok(existsSync(path.join(REPO_ROOT, source)), `${name} mounts missing ${source}`);
        else
          assert.ok(
            compose.volumes && source in compose.volumes,
            `${name} uses undeclared volume ${source}`,
          );
      }
    }
  });

  it('configures the worker only with variables the code reads, with values the configuration accepts', () => {
    const env = compose.services.worker?.environment ?? {};
    const known = new Set(configVariables());
    for (const name of Object.keys(env)) {
      assert.ok(
        known.has(name) || LIBRARY_PREFIXES.some((p) => name.startsWith(p)),
        `worker sets unknown variable ${name}`,
      );
    }
    const config = loadConfig(env, '/app');
    assert.equal(config.database.embedded, false);
    assert.equal(config.temporal.address, 'temporal:7233');
    assert.equal(config.datalake.kind, 's3');
    assert.equal(config.datalake.kind === 's3' && config.datalake.endpoint, 'http://s3:7070');
    // The worker's host names are services of the stack.
    for (const host of [
      new URL(env.DATABASE_URL ?? '').hostname,
      'temporal',
      new URL(env.S3_ENDPOINT ?? '').hostname,
    ]) {
      assert.ok(compose.services[host], `worker points at ${host}, which is not a service`);
    }
  });
});
