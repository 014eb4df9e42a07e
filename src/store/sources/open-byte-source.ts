/** Picks the byte source for a URL by its scheme: http(s)://, s3://, file:// or a plain path. */
import { BadInputError } from '../../core/errors';
import type { ByteSource } from '../../core/raster/source';
import { FileSource } from './file-source';
import { HttpSource, type HttpSourceOptions } from './http-source';
import { S3Source, type S3SourceOptions } from './s3-source';

/** A byte source the caller must close when done (file handles, owned S3 clients). */
export type ClosableByteSource = ByteSource & { close(): Promise<void> };

export interface ByteSourceOptions {
  http?: HttpSourceOptions;
  s3?: S3SourceOptions;
}

export function openByteSource(url: string, options: ByteSourceOptions = {}): ClosableByteSource {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'http':
    case 'https':
      return new HttpSource(url, options.http);
    case 's3':
      return new S3Source(url, options.s3);
    case 'file':
    case undefined:
      return new FileSource(url);
    default:
      throw new BadInputError(
        `"${url}": no byte source for scheme ${scheme}://; use http(s)://, s3://, file:// or a local path`,
        { code: 'SOURCE_BAD_SCHEME' },
      );
  }
}
