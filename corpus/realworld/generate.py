"""Regenerates corpus/realworld: runs every gen_*.py here under each interpreter it names.

Each generator's first lines carry `# interpreters: /usr/bin/python3 python3` (Debian's python3 with
its packages, and the python3 on PATH with numpy 2). A generator writes fixtures made by the real
library under corpus/realworld/<producer>/<version>/, each `NAME.<ext>` beside `NAME.json` (its
expected value in the corpus's typed JSON), and skips a producer that is not installed with a
printed reason (exit code 0). Run: npm run corpus:realworld
"""
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


def main():
    failed = 0
    for script in sorted(HERE.glob('gen_*.py')):
        for exe in interpreters(script):
            if shutil.which(exe) is None:
                print(f'{script.name}: skipped under {exe}: not installed')
                continue
            print(f'{script.name} under {exe}', flush=True)
            r = subprocess.run([exe, str(script)], cwd=HERE.parent.parent)
            if r.returncode != 0:
                print(f'{script.name} under {exe}: failed with exit code {r.returncode}')
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
