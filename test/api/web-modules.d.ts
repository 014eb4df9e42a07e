// The web page's modules are plain JavaScript typed with JSDoc. This (root) program has allowJs
// off, so without these lines their imports in test/api/web/*.test.ts would be errors (TS7016);
// here they are untyped, and `npm run typecheck` checks those tests against the modules' real
// JSDoc types in a program of their own (see the "typecheck" script).
declare module '*/src/api/web/api-key.js';
declare module '*/src/api/web/chart-scale.js';
declare module '*/src/api/web/colour-ramp.js';
declare module '*/src/api/web/map-view.js';
declare module '*/src/api/web/run-kpis.js';
declare module '*/src/api/web/series.js';
