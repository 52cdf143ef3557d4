// Builds dist/: the library in two forms (per-file ES modules for bundlers, one file for Node), the CLI
// and the inspector page:
// - dist/**/*.js: the library as ES modules, one per source file, so an app's bundler keeps only
//   the modules it uses;
// - dist/index.cjs: the same library as one CommonJS file: what Node loads for both `import` and
//   `require` (the "node" export condition). One file, so V8 sees every module-level constant of
//   the library as a constant of one scope: across per-file ES modules each use of an imported
//   binding (`OP.BINFLOAT` in the pickler's loops) is a load V8 does not fold, and dumps of a
//   million floats took 21 ms per call through dist/*.js against 12.5 ms through this file
//   (measured, same machine). One copy for Node also means `import` and `require` in one process
//   share one set of classes. Built for platform node so Node's ESM loader finds its named exports;
//   it imports nothing from node:* (the in-memory browser build below checks that).
//   Bundlers for the web take dist/*.js ("import"/"default") and scope-hoist it themselves;
// - dist/cli.js: the CLI's own code only; it imports the library from the modules above.
// A browser bundle is built in memory only, as a check: it fails if anything imports node:*.
// - dist/inspector/index.html: the inspector page, one self-contained file (src/inspector/build.mjs).
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildInspector } from './src/inspector/build.mjs';

const common = { sourcemap: true, target: 'es2022', logLevel: 'warning' };
const library = readdirSync('src', { recursive: true })
  .map((f) => join('src', f))
  .filter((f) => f.endsWith('.ts') && !f.startsWith(join('src', 'cli')) && !f.startsWith(join('src', 'inspector')));

/** Imports from src/cli/ of the library's modules stay imports, of the matching file in dist/. */
const libraryExternal = {
  name: 'library-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!relative('src', dirname(relative('.', target))).startsWith('..') && !target.includes(`${join('src', 'cli')}`)) {
        return { path: `./${relative(resolve('src'), target)}`, external: true };
      }
      return undefined;
    });
  },
};

rmSync('dist/browser', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: library, outbase: 'src', outdir: 'dist', format: 'esm', platform: 'neutral' }),
  build({ ...common, bundle: true, packages: 'external', entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', format: 'cjs', platform: 'node' }),
  build({
    ...common,
    bundle: true,
    packages: 'external',
    plugins: [libraryExternal],
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    format: 'esm',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({ ...common, bundle: true, write: false, entryPoints: ['src/index.ts'], outfile: 'browser.js', format: 'esm', platform: 'browser' }),
  buildInspector(),
]);
