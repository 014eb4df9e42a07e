import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configVariables } from '../src/config';
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
});
