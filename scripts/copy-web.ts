/**
 * Build step (`npm run build`): copies the web page (src/api/web, plain ES modules served as they
 * are) next to the compiled server, where its WEB_ROOT (`<server dir>/web`) looks for it. tsc
 * does not copy .js, .html or .css files, so without this the built API would serve no page.
 */
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const SOURCE = path.join(REPO, 'src', 'api', 'web');
/** tsconfig.build.json compiles with rootDir "." into dist/, so src/api/server.ts lands in dist/src/api/. */
const TARGET = path.join(REPO, 'dist', 'src', 'api', 'web');

// A file removed from the page must not linger in the build.
rmSync(TARGET, { recursive: true, force: true });
cpSync(SOURCE, TARGET, { recursive: true });
console.log(`copied the web page to ${path.relative(REPO, TARGET)}`);
