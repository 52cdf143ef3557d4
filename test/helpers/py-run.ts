/** Running one CPython subprocess from a test (the differential, fuzz and stream tests use it). */
import { spawnSync } from 'node:child_process';

let availability: string | null | undefined;

/** `null` when `python3` (3.8 or later) runs here, else the reason it cannot be used. */
export function pythonMissing(): string | null {
  if (availability !== undefined) return availability;
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 8))'], { encoding: 'utf8' });
  if (r.error) availability = `python3 cannot be run: ${r.error.message}`;
  else if (r.status !== 0) availability = `python3 failed: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  else if (r.stdout.trim() !== 'True') availability = 'python3 is older than 3.8';
  else availability = null;
  return availability;
}

/**
 * Run `script` with `python3 -c`, feeding `input` on stdin; returns stdout, throws with stderr on
 * failure. PYTHONHASHSEED is fixed so that set and frozenset orders, hence the pickles, repeat.
 */
export function runPython(script: string, input = ''): string {
  const r = spawnSync('python3', ['-c', script], {
    input,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8' },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python3 exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** `runPython` whose stdout is one JSON document. */
export function runPythonJson<T>(script: string, input: unknown = null): T {
  return JSON.parse(runPython(script, JSON.stringify(input))) as T;
}
