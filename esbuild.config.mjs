// Builds dist/: ESM and CJS bundles of the library, the CLI, and (as a check) a browser bundle.
import { build } from 'esbuild';

const common = { bundle: true, sourcemap: true, target: 'es2022', logLevel: 'warning' };

await Promise.all([
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', format: 'esm', platform: 'neutral' }),
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', format: 'cjs', platform: 'neutral' }),
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    format: 'esm',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The browser build proves src/ needs nothing from Node: it fails if anything imports node:*.
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/browser/index.js', format: 'esm', platform: 'browser' }),
]);
