#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a checkout; the compiled dist/ in an installed package.
const path = require('node:path');
const fs = require('node:fs');

const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
const built = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let entry = built;
if (fs.existsSync(source)) {
  try {
    require('tsx/cjs');
    entry = source;
  } catch {
    // tsx is a development dependency; fall back to the build.
  }
}
if (!fs.existsSync(entry)) {
  console.error('parcelwatch: no build found; run `npm install && npm run build`');
  process.exit(2);
}
require(entry).main();
