// Builds dist/inspector/index.html: one self-contained page, its script and style inlined and
// pinned in its Content-Security-Policy by sha256. Run by esbuild.config.mjs, or on its own.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

export async function buildInspector(outfile = join(ROOT, 'dist', 'inspector', 'index.html')) {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const r = await build({
    entryPoints: [join(HERE, 'main.ts')],
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    define: { PICKLEGUARD_VERSION: JSON.stringify(version) },
    logLevel: 'warning',
  });
  // `</script` cannot appear inside an inline script; `<\/script` means the same in strings and regexes.
  const js = r.outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1').trimEnd();
  const css = (await build({ entryPoints: [join(HERE, 'style.css')], bundle: true, minify: true, write: false, logLevel: 'warning' })).outputFiles[0].text.trimEnd();
  const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  // Nothing may be fetched or connected to; the worker is a Blob of the page's own script.
  const csp = `default-src 'none'; script-src ${sha(js)}; style-src ${sha(css)}; worker-src blob:; img-src blob: data:; base-uri 'none'; form-action 'none'`;
  const html = readFileSync(join(HERE, 'page.html'), 'utf8').replace('{{CSP}}', csp).replace('{{CSS}}', () => css).replace('{{JS}}', () => js);
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, html);
  return { outfile, bytes: html.length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, bytes } = await buildInspector(process.argv[2]);
  console.log(`${outfile}: ${(bytes / 1000).toFixed(1)} kB`);
}
