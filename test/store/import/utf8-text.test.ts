import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BadInputError } from '../../../src/core/errors';
import { firstInvalidUtf8, strictUtf8 } from '../../../src/store/import/utf8-text';

/** Streams `chunks` through the strict decoder and returns the text, or throws its error. */
async function decode(chunks: Buffer[]): Promise<string> {
  let text = '';
  for await (const piece of Readable.from(chunks).pipe(strictUtf8('parcels.geojson'))) {
    text += piece;
  }
  return text;
}

describe('strict UTF-8 decoding of parcel files', () => {
  it('decodes UTF-8 whatever the chunk boundaries cut, and drops a byte order mark', async () => {
    const bytes = Buffer.from('\uFEFF{"naam": "Café – Ørsted 🌾"}', 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.equal(
        await decode([bytes.subarray(0, cut), bytes.subarray(cut)]),
        '{"naam": "Café – Ørsted 🌾"}',
      );
    }
  });

  it('refuses Windows-1252 text, naming the bytes and their offset', async () => {
    const latin = Buffer.from('{"naam": "Caf\xe9"}', 'latin1');
    await assert.rejects(
      decode([latin.subarray(0, 5), latin.subarray(5)]),
      (e: unknown) =>
        e instanceof BadInputError &&
        e.code === 'PARCELS_NOT_UTF8' &&
        /the bytes 0xE9 0x22 0x7D at offset 13 are not valid UTF-8/.test(e.message),
    );
  });

  it('refuses a sequence cut off at the end of the file', async () => {
    await assert.rejects(decode([Buffer.from([0x7b, 0xe2, 0x82])]), /is not UTF-8 text/);
  });

  it('finds the first byte that breaks UTF-8: overlongs, surrogates and stray continuations', () => {
    assert.equal(firstInvalidUtf8(Buffer.from('plain ascii')), 11);
    assert.equal(firstInvalidUtf8(Buffer.from('é€😀', 'utf8')), 9);
    assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0xaf])), 1, 'overlong /');
    assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'a UTF-16 surrogate');
    assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0x80])), 1, 'a lone continuation byte');
    assert.equal(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80])), 0, 'past U+10FFFF');
  });
});
