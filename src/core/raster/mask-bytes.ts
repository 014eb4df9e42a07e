import type { BandId, HarmonisationDecision } from '../stac/scene';
import type { Cog } from './cog-types';
import { type MaskedScene, maskScene } from './mask';
import { MemorySource } from './memory-source';
import type { ByteSource } from './source';

/** What a masking thread receives: the raw rasters as bytes (with their datalake keys, for messages). */
export interface MaskInBytes {
  bands: Partial<Record<BandId, { url: string; bytes: Uint8Array }>>;
  scl: { url: string; bytes: Uint8Array };
  harmonisation: HarmonisationDecision;
  validSclClasses: number[];
}

/** maskScene on rasters held in memory; `open` is the COG reader (injected to keep imports light). */
export async function maskSceneBytes(
  input: MaskInBytes,
  open: (source: ByteSource) => Promise<Cog>,
): Promise<MaskedScene> {
  const bands: Partial<Record<BandId, Cog>> = {};
  for (const [band, raster] of Object.entries(input.bands)) {
    bands[band as BandId] = await open(new MemorySource(raster!.url, raster!.bytes));
  }
  return maskScene({
    bands,
    scl: await open(new MemorySource(input.scl.url, input.scl.bytes)),
    harmonisation: input.harmonisation,
    validSclClasses: input.validSclClasses,
  });
}
