/** Entry point of the `pickleguard` command (bundled to dist/cli.js). */
import { readFileSync } from 'node:fs';
import { run, type CliIO } from './run.js';
import { auditInWorkers, defaultJobs, serveIfWorker } from './workers.js';

function toBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const io: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  readFile: (path) => toBytes(readFileSync(path)),
  stderrIsTTY: process.stderr.isTTY === true,
  stderrColumns: process.stderr.columns,
  auditInWorkers,
  jobs: defaultJobs(),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return toBytes(Buffer.concat(chunks));
  },
};

if (!serveIfWorker()) main();

function main(): void {
run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pickleguard: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);

// `pickleguard dis big.pkl | head`: a closed pipe ends the output, it is no error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
}
