#!/usr/bin/python3
"""Writes corpus/pytz/: pytz time zones and datetimes that carry them, pickled at protocols 0-5.

Same layout and typed JSON as corpus/gen_stdlib.py (NAME.pP.pkl, .json, .dis). Needs pytz: run it
with Debian's /usr/bin/python3 and python3-tz (2022.7.1 wrote the committed files). Deterministic.
"""
import datetime
import io
import json
import os
import pickle
import pickletools
import shutil
import sys

if os.environ.get('PYTHONHASHSEED') != '0':
    os.environ['PYTHONHASHSEED'] = '0'
    os.execv(sys.executable, [sys.executable] + sys.argv)

import pytz

from gen_stdlib import typed

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'pytz')
PARIS = pytz.timezone('Europe/Paris')
NY = pytz.timezone('America/New_York')


def values():
    yield 'utc', pytz.utc
    yield 'datetime_utc', datetime.datetime(2024, 5, 1, 12, 30, tzinfo=pytz.utc)
    yield 'datetime_paris', PARIS.localize(datetime.datetime(2024, 5, 1, 12, 30))
    yield 'datetime_paris_winter', PARIS.localize(datetime.datetime(2024, 1, 15, 8, 0, 0, 250000))
    yield 'datetime_ny_ambiguous', [NY.localize(datetime.datetime(2022, 11, 6, 1, 30), is_dst=d) for d in (True, False)]
    yield 'zones', [PARIS, NY, pytz.timezone('EST'), pytz.timezone('Asia/Kolkata'), pytz.timezone('Etc/GMT+5')]
    yield 'fixed', [pytz.FixedOffset(90), pytz.FixedOffset(-330), pytz.FixedOffset(0)]
    yield 'datetime_fixed', datetime.datetime(2000, 1, 1, tzinfo=pytz.FixedOffset(-330))
    yield 'record', {'created': datetime.datetime(2021, 3, 4, 5, 6, 7, tzinfo=pytz.utc), 'zone': PARIS, 'local': NY.localize(datetime.datetime(2020, 7, 4, 12))}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    count = 0
    for name, value in values():
        for p in range(6):
            data = pickle.dumps(value, p)
            assert pickle.loads(data) == value, name
            base = os.path.join(OUT, '%s.p%d' % (name, p))
            with open(base + '.pkl', 'wb') as f:
                f.write(data)
            extra = {}
            if isinstance(value, datetime.datetime):
                extra = {'isoformat': value.isoformat(), 'ms': (value - datetime.datetime(1970, 1, 1, tzinfo=pytz.utc)) // datetime.timedelta(milliseconds=1)}
            with open(base + '.json', 'w', encoding='utf-8') as f:
                json.dump({'protocol': p, 'value': typed(value, p), **extra}, f, ensure_ascii=False, sort_keys=True)
                f.write('\n')
            out = io.StringIO()
            pickletools.dis(data, out=out)
            with open(base + '.dis', 'w', encoding='utf-8') as f:
                f.write(out.getvalue())
            count += 1
    print('corpus/pytz: %d pickles' % count)


if __name__ == '__main__':
    main()
