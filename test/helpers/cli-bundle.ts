/**
 * The `pickleguard` CLI bundled on its own from src/cli/main.ts into one file under `outDir`, so a CLI
 * test does not depend on the library's build; returns the bundle's path, to run with `node`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export async function bundleCli(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'cli.js');
  await build({
    entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  return outfile;
}
