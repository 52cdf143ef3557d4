"""Regenerates corpus/realworld: runs every gen_*.py here under each interpreter it names.

Each generator's first lines carry `# interpreters: /usr/bin/python3 python3 trixie sid` (Debian 12's
python3 with its packages, the python3 on PATH with numpy 2, and the python3 of a Debian root made by
`corpus/realworld/make-debian-root.sh trixie|sid`, with that release's numpy, pandas, scikit-learn,
joblib and torch, run by chroot; a root's path is $PICKLEGUARD_TRIXIE_ROOT / $PICKLEGUARD_SID_ROOT,
default /work/trixie and /work/sid). A generator writes fixtures made by the real
library under corpus/realworld/<producer>/<version>/, each `NAME.<ext>` beside `NAME.json` (its
expected value in the corpus's typed JSON), and skips a producer that is not installed with a
printed reason (exit code 0). Run: npm run corpus:realworld [-- pandas …] (all generators, or the named ones)
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def interpreters(script):
    head = script.read_text().splitlines()[:5]
    for line in head:
        m = re.match(r'#\s*interpreters:\s*(.+)', line)
        if m:
            return m.group(1).split()
    return ['python3']


REPO = HERE.parent.parent
ROOTS = ('trixie', 'sid')


def root_of(release):
    return Path(os.environ.get(f'PICKLEGUARD_{release.upper()}_ROOT', f'/work/{release}'))


def command(exe, script):
    """The argv that runs script under exe, or a str saying why it cannot be run here."""
    if exe not in ROOTS:
        return [exe, str(script)] if shutil.which(exe) else 'not installed'
    root = root_of(exe)
    if not (root / 'usr/bin/python3').exists():
        return f'no Debian {exe} root at {root} (make one with corpus/realworld/make-debian-root.sh {exe})'
    if os.geteuid() != 0 or shutil.which('unshare') is None:
        return 'chroot needs root and unshare'
    # A private mount namespace: /proc for torch, and the repository at its own path inside the root.
    inner = (f'mount -t proc proc {root}/proc && mkdir -p {root}{REPO} && '
             f'mount --bind {REPO} {root}{REPO} && '
             f'exec chroot {root} sh -c "cd {REPO} && exec python3 {script}"')
    return ['unshare', '-m', 'sh', '-c', inner]


def main():
    failed = 0
    only = set(sys.argv[1:])  # `generate.py pandas torch`: just those generators
    for script in sorted(HERE.glob('gen_*.py')):
        if only and script.stem[4:] not in only:
            continue
        for exe in interpreters(script):
            argv = command(exe, script)
            if isinstance(argv, str):
                print(f'{script.name}: skipped under {exe}: {argv}')
                continue
            print(f'{script.name} under {exe}', flush=True)
            r = subprocess.run(argv, cwd=REPO)
            if r.returncode != 0:
                print(f'{script.name} under {exe}: failed with exit code {r.returncode}')
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
