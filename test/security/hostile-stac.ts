import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A STAC API gone wrong, on 127.0.0.1: each catalogue `/<name>/` has a landing page pointing to
 * its `/<name>/search`, answered by the scenario of that name. A scenario answers with raw bytes,
 * so it can send what no STAC server should (HTML, truncated JSON, endless pages, huge bodies).
 */

export interface RawAnswer {
  status?: number;
  contentType?: string;
  body: string | Buffer;
}

/** Answers one search request (its URL, with the page token of a `next` link, if any). */
export type Scenario = (url: URL) => RawAnswer;

export interface HostileStac {
  /** The API root of a scenario, e.g. `http://127.0.0.1:41234/malformed-json`. */
  url(name: string): string;
  /** Search requests received, per scenario. */
  searches(name: string): number;
  close(): Promise<void>;
}

export async function startHostileStac(
  scenarios: Record<string, Scenario | { landing: RawAnswer }>,
): Promise<HostileStac> {
  const counts = new Map<string, number>();
  let root = '';
  const answerOf = (name: string, rest: string, url: URL): RawAnswer => {
    const scenario = scenarios[name];
    if (!scenario) return { status: 404, body: 'no such catalogue' };
    if ('landing' in scenario) return rest === '' ? scenario.landing : { status: 404, body: '' };
    if (rest === '') return landingPage(`${root}/${name}`);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return scenario(url);
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', root);
    const [, name = '', rest = ''] = /^\/([^/]+)\/?(.*)$/.exec(url.pathname) ?? [];
    // Drain the request body (searches are POSTed) before answering.
    request.resume();
    request.on('end', () => {
      const answer = answerOf(name, rest, url);
      response.writeHead(answer.status ?? 200, {
        'content-type': answer.contentType ?? 'application/geo+json',
      });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${root}/${name}`,
    searches: (name) => counts.get(name) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function landingPage(base: string): RawAnswer {
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      type: 'Catalog',
      id: 'hostile',
      stac_version: '1.0.0',
      conformsTo: [
        'https://api.stacspec.org/v1.0.0/core',
        'https://api.stacspec.org/v1.0.0/item-search',
      ],
      links: [{ rel: 'search', href: `${base}/search`, type: 'application/geo+json' }],
    }),
  };
}

/** A FeatureCollection page of `features` with the given links. */
export function page(features: unknown[], links: unknown[] = []): RawAnswer {
  return { body: JSON.stringify({ type: 'FeatureCollection', features, links }) };
}
