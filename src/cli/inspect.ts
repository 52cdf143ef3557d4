/**
 * `pickleguard inspect [FILE…]`: serves the inspector page on 127.0.0.1 (a random port, a random
 * path) and opens the browser. The files given are put into the page itself, as data blocks the
 * page reads, so the page still makes no request (its CSP allows none).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE, parseCommand, readFailure, UsageError } from './args.js';

export const INSPECT_USAGE = `Usage: pickleguard inspect [options] [FILE...]

Serve the inspector page on 127.0.0.1 (a random port) and open it in the browser: open a pickle or
model file in it to see its verdict, findings, globals, value and bytes. The FILEs given are
preloaded into the page. Nothing leaves the machine: the page makes no request of its own. Stop
with Ctrl-C. The page is also a file you can open directly: dist/inspector/index.html.

Options:
  --no-open          print the address, do not open a browser
  -h, --help         show this help
`;

export interface InspectIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Uint8Array;
}

/** dist/inspector/index.html of this package, found by walking up from this file. */
function pagePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    for (const p of [join(dir, 'inspector', 'index.html'), join(dir, 'dist', 'inspector', 'index.html')]) {
      try {
        readFileSync(p, { flag: 'r' }).subarray(0, 0);
        return p;
      } catch {
        // not here
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UsageError('the inspector page is missing: run npm run build (it writes dist/inspector/index.html)');
}

/** Most bytes of one preloaded file. */
const PRELOAD_LIMIT = 256 * 2 ** 20;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser to open: the address is printed.
  }
}

export async function runInspect(argv: readonly string[], io: InspectIO): Promise<number> {
  const { values: v, positionals: files } = parseCommand('inspect', argv, ['no-open']);
  if (v.help) {
    io.stdout(INSPECT_USAGE);
    return EXIT_OK;
  }
  const blocks: string[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = io.readFile(file);
    } catch (e) {
      io.stderr(`pickleguard: ${readFailure(file, e)}\n`);
      return EXIT_USAGE;
    }
    // The page holds each preloaded file as base64 text: past this, open the file in the page instead.
    if (bytes.length > PRELOAD_LIMIT) {
      io.stderr(`pickleguard: ${file}: ${bytes.length.toLocaleString('en')} bytes, too big to preload (over ${PRELOAD_LIMIT / 2 ** 20} MiB): open it from the page\n`);
      continue;
    }
    const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    blocks.push(`<script type="application/x-pickleguard-file" data-name="${escapeHtml(basename(file))}">${b64}</script>`);
  }
  const page = readFileSync(pagePath(), 'utf8').replace('<body>', () => `<body>\n${blocks.join('\n')}`);
  const token = randomBytes(12).toString('hex');
  const server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    // Only this address, by this name: a page elsewhere cannot read it through a rebound DNS name.
    if (req.headers.host !== `127.0.0.1:${port}` || (req.method !== 'GET' && req.method !== 'HEAD') || req.url !== `/${token}/`) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    res.end(req.method === 'HEAD' ? undefined : page);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${token}/`;
  io.stdout(`pickleguard inspector: ${url}${files.length ? ` (${files.length} file${files.length === 1 ? '' : 's'} preloaded)` : ''}; Ctrl-C to stop\n`);
  if (!v['no-open']) openBrowser(url);
  return new Promise((resolve) => {
    const stop = () => server.close(() => resolve(EXIT_OK));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
