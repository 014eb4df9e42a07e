import { Transform, type TransformCallback } from 'node:stream';
import { BadInputError } from '../../core/errors';

/**
 * Bytes → text for a file that must be UTF-8 (GeoJSON, RFC 8259): a byte sequence that is not
 * UTF-8 stops the read with an error naming its offset, instead of becoming U+FFFD and being
 * stored as such (a Windows-1252 "é" would otherwise reach the database as "�"). A leading byte
 * order mark is dropped.
 */
export function strictUtf8(name: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  /** Bytes of a sequence cut by the chunk boundary, kept to locate an error across chunks. */
  let carried: Uint8Array = new Uint8Array(0);
  const refuse = (chunk: Uint8Array): BadInputError => {
    const bytes = Buffer.concat([carried, chunk]);
    const at = firstInvalidUtf8(bytes);
    const where = offset - carried.byteLength + at;
    const shown = bytes
      .subarray(at, at + 4)
      .reduce((text, b) => `${text} 0x${b.toString(16).toUpperCase().padStart(2, '0')}`, '')
      .trim();
    return new BadInputError(
      `${name} is not UTF-8 text: the bytes ${shown} at offset ${where} are not valid UTF-8 (GeoJSON is always UTF-8); convert the file, e.g. \`iconv -f WINDOWS-1252 -t UTF-8 ${name} > utf8-${name}\``,
      { code: 'PARCELS_NOT_UTF8' },
    );
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        done(refuse(chunk));
        return;
      }
      carried = chunk.subarray(completeLength(chunk));
      offset += chunk.byteLength;
      done(null, text);
    },
    flush(done: TransformCallback) {
      try {
        done(null, decoder.decode());
      } catch {
        done(refuse(new Uint8Array(0)));
      }
    },
  });
}

/** Index of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

/** Length of the valid sequence starting at `i`, 0 when none starts there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  // Lead byte → sequence length and the allowed range of the second byte (no overlongs, no
  // surrogates, nothing past U+10FFFF), as the Unicode standard's table 3-7 gives them.
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) length = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    length = 3;
    if (b === 0xe0) low = 0xa0;
    if (b === 0xed) high = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    length = 4;
    if (b === 0xf0) low = 0x90;
    if (b === 0xf4) high = 0x8f;
  } else return 0;
  if (i + length > bytes.length) return 0;
  if (bytes[i + 1] < low || bytes[i + 1] > high) return 0;
  for (let k = 2; k < length; k++) {
    if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  }
  return length;
}

/** Bytes of `chunk` up to a trailing sequence the chunk boundary cut (at most 3 bytes). */
function completeLength(chunk: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const b = chunk[chunk.length - back];
    if (b < 0x80) return chunk.length;
    if (b >= 0xc0) {
      const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return needed > back ? chunk.length - back : chunk.length;
    }
  }
  return chunk.length;
}
