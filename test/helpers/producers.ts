/**
 * The Python interpreters that produced corpus/realworld, to run checks under the same library
 * versions: Debian's /usr/bin/python3, the python3 on PATH, and `trixie` / `sid`, the python3 of a
 * Debian root (corpus/realworld/make-debian-root.sh) run through chroot with this repository bound at
 * its own path.
 */
import { spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
const rootOf = (release: string) => process.env[`PICKLEGUARD_${release.toUpperCase()}_ROOT`] ?? `/work/${release}`;
const ROOTS = ['trixie', 'sid'].filter((r) => existsSync(join(rootOf(r), 'usr/bin/python3')) && process.getuid?.() === 0);

export const INTERPRETERS: readonly string[] = ['/usr/bin/python3', 'python3', ...ROOTS];

/** Runs `python3 ARGS` under one of INTERPRETERS. */
export function runPython(exe: string, args: string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  if (!ROOTS.includes(exe)) return spawnSync(exe, args, options);
  const root = rootOf(exe);
  const inner = `mount -t proc proc ${root}/proc && mkdir -p ${root}${REPO} && mount --bind ${REPO} ${root}${REPO} && exec chroot ${root} python3 "$@"`;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', inner, 'sh', ...args], options);
  // torch and UCX complain about the chroot's missing /sys details on stderr; they are not the check's output.
  return { ...r, stderr: r.stderr?.split('\n').filter((l) => !/UCX {2}ERROR|Error in cpuinfo/.test(l)).join('\n') ?? r.stderr };
}

/** [version, interpreter] for each version of `module` installed here; the others are named on the console with what is not checked. */
export function installedVersions(module: string, versions: readonly string[], unchecked: string): [string, string][] {
  const out: [string, string][] = [];
  for (const v of versions) {
    const exe = interpreterWith(module, v);
    if (exe === undefined) console.log(`${module} ${v} is not installed here: ${unchecked} is not checked`);
    else out.push([v, exe]);
  }
  return out;
}

/** The interpreter whose `module.__version__` is version, or undefined when none here has it. */
export function interpreterWith(module: string, version: string): string | undefined {
  return INTERPRETERS.find((exe) => {
    const r = runPython(exe, ['-c', `import ${module}, sys; sys.stdout.write(${module}.__version__)`], { encoding: 'utf8' });
    return r.status === 0 && r.stdout === version;
  });
}
