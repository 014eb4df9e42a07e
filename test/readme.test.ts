import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configVariables } from '../src/config';
import { INDICES } from '../src/core/indices/registry';
import { HARMONISATION_RULES } from '../src/core/stac/harmonise';
import { REPO_ROOT } from './helpers/services';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('documents every environment variable the configuration reads', () => {
    const missing = configVariables().filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it('gives the demo and test commands that CI runs', () => {
    assert.match(readme, /npm ci && npm run demo/);
    assert.match(readme, /npm ci && npm test/);
    const ci = readFileSync(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    assert.match(ci, /npm ci/);
    assert.match(ci, /npm test/);
  });

  it('prints the harmonisation decision table and the index registry the code applies', () => {
    for (const rule of HARMONISATION_RULES)
      assert.ok(readme.includes(`| \`${rule.id}\` |`), `rule ${rule.id}`);
    for (const index of INDICES) {
      assert.ok(
        readme.includes(`| \`${index.name}\` | ${index.bands.join(', ')} |`),
        `index ${index.name}`,
      );
    }
  });
});
