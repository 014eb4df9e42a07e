import path from 'node:path';

/**
 * Real-world fixtures (Earth Search items, Sentinel-2 COGs, BRP parcels), copied from the project's
 * shared fixtures so the suite runs from any clone; provenance and licences in test/fixtures/README.md.
 */
export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

export const fixture = (...parts: string[]): string => path.join(FIXTURES, ...parts);
