import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../core/errors';

/**
 * The web page's third-party files, served from node_modules at `/vendor/` (never copied into the
 * repository, so an `npm install` upgrades them). Exactly these files and nothing else of the
 * package: MapLibre's module, the worker module it loads from the same folder (it resolves
 * `./maplibre-gl-worker.mjs` against its own URL), and its stylesheet.
 */

export const VENDOR_PREFIX = '/vendor/';
/** The files served, by name in maplibre-gl's dist/ folder. */
export const VENDOR_FILES: readonly string[] = [
  'maplibre-gl.mjs',
  'maplibre-gl-worker.mjs',
  'maplibre-gl.css',
];
/**
 * An hour: MapLibre's worker URL carries its version (`?v=`), its module does not, so a longer
 * life could pair a new page with an old module after an upgrade.
 */
const VENDOR_MAX_AGE_MS = 3_600_000;

/** maplibre-gl's dist/ folder, checked to hold every vendor file. */
export function maplibreDist(): string {
  let dist: string;
  try {
    dist = path.join(path.dirname(require.resolve('maplibre-gl/package.json')), 'dist');
  } catch {
    throw new ConfigError(
      'the web page needs the npm package maplibre-gl, which is not installed; run `npm install`',
      { code: 'WEB_VENDOR_MISSING' },
    );
  }
  const missing = VENDOR_FILES.filter((file) => !existsSync(path.join(dist, file)));
  if (missing.length) {
    throw new ConfigError(
      `the web page needs ${missing.join(', ')} in ${dist}, which are missing; reinstall maplibre-gl (\`npm ci\`)`,
      { code: 'WEB_VENDOR_MISSING' },
    );
  }
  return dist;
}

/** Serves the vendor files at `/vendor/<file>`, public like the page itself. */
export async function registerWebAssets(app: FastifyInstance): Promise<void> {
  const { default: fastifyStatic } = await import('@fastify/static');
  const allowed = new Set(VENDOR_FILES.map((file) => `/${file}`));
  await app.register(fastifyStatic, {
    root: maplibreDist(),
    prefix: VENDOR_PREFIX,
    // The first registration (the page's own files) decorates the reply already.
    decorateReply: false,
    index: false,
    maxAge: VENDOR_MAX_AGE_MS,
    allowedPath: (pathName) => allowed.has(pathName),
  });
}
