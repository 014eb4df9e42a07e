/**
 * Bumped whenever the engine's results change for the same inputs (pixel rules, statistics,
 * encodings): observations of an older version are recomputed by the next run.
 */
export const ENGINE_VERSION = 'engine-1';

/**
 * The algorithm version recorded with every observation: the engine version plus every science
 * setting that changes results. A run with other settings sees existing observations as outdated.
 */
export function algorithmVersion(science: {
  bufferMetres: number;
  validSclClasses: readonly number[];
  okThreshold: number;
}): string {
  const scl = [...science.validSclClasses].sort((a, b) => a - b).join(',');
  return `${ENGINE_VERSION};buffer=${science.bufferMetres};scl=${scl};ok=${science.okThreshold}`;
}
