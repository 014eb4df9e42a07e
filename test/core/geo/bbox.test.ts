import assert from 'node:assert/strict';
import { checkBbox, parseBbox } from '../../../src/core/geo/bbox';

describe('bounding boxes given by people', () => {
  it('parses minLon,minLat,maxLon,maxLat with spaces', () => {
    assert.deepEqual(parseBbox(' 4.5, 52.0,4.7 ,52.2'), [4.5, 52, 4.7, 52.2]);
  });

  it('refuses an empty part instead of reading it as 0', () => {
    assert.throws(() => parseBbox('4.5,,4.7,52.2', '--bbox'), /--bbox .* is not four numbers/);
  });

  it('refuses the wrong count, text, out-of-range and reversed boxes, naming the parameter and the problem', () => {
    const cases: [string, RegExp][] = [
      ['1,2,3', /is not four numbers/],
      ['a,2,3,4', /is not four numbers/],
      ['-181,0,1,1', /longitude outside/],
      ['0,-91,1,1', /latitude outside/],
      ['2,0,1,1', /minimum above its maximum/],
    ];
    for (const [text, problem] of cases) {
      assert.throws(
        () => parseBbox(text, 'bbox'),
        (error: Error) => problem.test(error.message) && error.message.startsWith('bbox '),
        text,
      );
    }
  });

  it('accepts a degenerate box (a point) since min ≤ max', () => {
    assert.deepEqual(checkBbox([5, 52, 5, 52]), [5, 52, 5, 52]);
  });
});
