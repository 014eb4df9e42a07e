import assert from 'node:assert/strict';
import { createProgress, describeProgress } from '../../src/cli/progress';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    isTTY,
    text: '',
    columns: 120,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
    // cli-progress reads these on terminals.
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('CLI progress', () => {
  it('describes amounts in megabytes or counts, with a percentage when the total is known', () => {
    assert.equal(
      describeProgress({
        phase: 'reading',
        done: 3 * 1024 ** 2,
        total: 12 * 1024 ** 2,
        unit: 'bytes',
        detail: '1,000 features',
      }),
      'reading 25 % 3.0 MB of 12.0 MB, 1,000 features',
    );
    assert.equal(
      describeProgress({ phase: 'writing', done: 1500, total: 0, unit: 'items' }),
      'writing 1,500',
    );
    assert.equal(
      describeProgress({
        phase: 'checking',
        done: 0,
        total: 0,
        unit: 'items',
        detail: '9 features',
      }),
      'checking 9 features',
    );
  });

  it('prints plain lines off a terminal: one per phase change, not one per update, and the last on stop', () => {
    const stream = fakeStream(false);
    const progress = createProgress({ title: 'import', stream });
    for (let i = 1; i <= 100; i++)
      progress.update({ phase: 'reading', done: i, total: 100, unit: 'items' });
    progress.update({ phase: 'writing', done: 10, total: 100, unit: 'items' });
    progress.update({ phase: 'writing', done: 100, total: 100, unit: 'items' });
    progress.stop();
    assert.deepEqual(stream.text.trim().split('\n'), [
      'import: reading 1 % 1 of 100',
      'import: writing 10 % 10 of 100',
      'import: writing 100 % 100 of 100',
    ]);
  });

  it('draws a bar on a terminal and nothing when disabled', () => {
    const tty = fakeStream(true);
    const progress = createProgress({ title: 'import', stream: tty });
    progress.update({ phase: 'reading', done: 50, total: 100, unit: 'items' });
    progress.stop();
    assert.match(tty.text, /import \[#{15}-{15}\] reading 50 % 50 of 100/);
    const quiet = fakeStream(false);
    const off = createProgress({ title: 'import', stream: quiet, enabled: false });
    off.update({ phase: 'reading', done: 1, total: 2, unit: 'items' });
    off.stop();
    assert.equal(quiet.text, '');
  });
});
