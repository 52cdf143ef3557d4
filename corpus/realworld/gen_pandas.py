#!/usr/bin/env python3
# interpreters: /usr/bin/python3 trixie sid
"""Writes corpus/realworld/pandas/<pandas version>/: DataFrames, Series and indexes pickled by pandas.

NAME.pP.pkl is pickle.dumps(value, P); NAME.pkl.<ext> is DataFrame.to_pickle('NAME.pkl.<ext>') with the
compression pandas infers from the extension (gzip, zip, tar, bz2, xz; zstd is not installed here); pandas 3 adds
its string fixtures (strings, series_str_*, index_str). NAME.json:
{"pandas": version, "numpy": version, "protocol": P, "value": V} or, for compressions loadPandas names
without reading, {"error": "MalformedPickleError", "names": "<format>"}, where V describes:
  DataFrame {"dataframe": {"columns": I, "index": I, "dtypes": [str(dtype)], "data": [[cell, ...] per column]}}
  Series    {"series": {"name": T, "index": I, "dtype": str(dtype), "data": [cell, ...]}}
  Index I   {"index": {"kind": range|multi|datetime|timedelta|period|categorical|numeric|object (object or string dtype), "name": T,
             "dtype": str(dtype), "cells": [...]}} (range: start, stop, step; multi: names, levels, codes)
  a cell: typed JSON of the Python value; missing (None, NA, NaT) is null, NaN {"float": "nan"}; datetimes,
  timedeltas and periods are their int64 (ns, ns, ordinal); categoricals their category's value.
The time-zone fixtures (tz_*) add "iso": {"index": [...] | null, "columns": [[...] | null per column]}: each
datetime's Timestamp.isoformat() (NaT: null), for the index and the datetime columns.
Deterministic: gzip and zip timestamps are fixed.
"""
import datetime
import gzip
import json
import os
import pickle
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from described import describe  # noqa: E402

try:
    import numpy as np
    import pandas as pd
except ImportError as e:
    print(f'gen_pandas.py: skipped: {e}')
    sys.exit(0)



def when(texts, **kwargs):
    """pd.to_datetime of texts in mixed formats, each parsed alone (pandas 2 wants one format per call)."""
    return pd.to_datetime([None if t is None else pd.Timestamp(t) for t in texts], **kwargs)

def cell(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return {'float': 'nan'}
    if isinstance(v, np.generic):
        v = v.item()
    return describe(v)


def cells_of(arr):
    """The cells of a column or index's values, as the module docstring says."""
    dt = arr.dtype
    if isinstance(dt, pd.CategoricalDtype):
        cats = list(arr.categories) if hasattr(arr, 'categories') else list(arr.cat.categories)
        codes = arr.codes if hasattr(arr, 'codes') else arr.cat.codes
        return [None if c < 0 else cell(cats[c]) for c in np.asarray(codes)]
    kind = getattr(dt, 'kind', None)
    if kind in ('M', 'm') or isinstance(dt, (pd.DatetimeTZDtype, pd.PeriodDtype)):
        i8 = np.asarray(pd.array(arr).asi8 if not hasattr(arr, 'asi8') else arr.asi8)
        return [None if x == np.iinfo(np.int64).min else {'int': str(int(x))} for x in i8]
    return [cell(v) for v in list(arr)]


def index(ix):
    if isinstance(ix, pd.RangeIndex):
        return {'index': {'kind': 'range', 'name': cell(ix.name), 'start': ix.start, 'stop': ix.stop, 'step': ix.step}}
    if isinstance(ix, pd.MultiIndex):
        return {'index': {'kind': 'multi', 'names': [cell(n) for n in ix.names], 'levels': [index(l) for l in ix.levels],
                          'codes': [[int(c) for c in cs] for cs in ix.codes]}}
    kind = ('datetime' if isinstance(ix, pd.DatetimeIndex) else 'timedelta' if isinstance(ix, pd.TimedeltaIndex)
            else 'period' if isinstance(ix, pd.PeriodIndex) else 'categorical' if isinstance(ix, pd.CategoricalIndex)
            else 'object' if ix.dtype == object or isinstance(ix.dtype, pd.StringDtype) else 'numeric')
    return {'index': {'kind': kind, 'name': cell(ix.name), 'dtype': str(ix.dtype), 'cells': cells_of(ix)}}


def value(v):
    if isinstance(v, pd.DataFrame):
        return {'dataframe': {'columns': index(v.columns), 'index': index(v.index), 'dtypes': [str(t) for t in v.dtypes],
                              'data': [cells_of(v.iloc[:, i]) for i in range(v.shape[1])]}}
    if isinstance(v, pd.Series):
        return {'series': {'name': cell(v.name), 'index': index(v.index), 'dtype': str(v.dtype), 'data': cells_of(v)}}
    if isinstance(v, pd.Index):
        return index(v)
    raise TypeError(type(v))


def tz_frames():
    """tz-aware columns and indexes in zones other than UTC: pytz zones across DST changes, fixed offsets, zoneinfo; NaT."""
    import pytz
    import zoneinfo
    utc = when(['2024-03-31 00:30', '2024-03-31 01:30:00.000001', '2024-10-27 00:30:00.5', '2024-10-27 01:30:00.000000001', None], utc=True)
    us = when(['2024-03-10 06:30', '2024-03-10 07:30', '2024-11-03 05:30', '2024-11-03 06:30', None], utc=True)
    zones = pd.DataFrame({
        'paris': utc.tz_convert('Europe/Paris'),
        'new_york': us.tz_convert('America/New_York'),
        'fixed': utc.tz_convert(pytz.FixedOffset(330)),
        'timezone': utc.tz_convert(datetime.timezone(datetime.timedelta(hours=-3))),
        # pandas 1.5 gives a zoneinfo time in the repeated hour (fold=1) the first offset, so none here.
        'zoneinfo': when(['2024-03-31 00:30', '2024-03-31 01:30', '2024-10-27 00:00', '2024-10-27 02:00', None], utc=True).tz_convert(zoneinfo.ZoneInfo('Europe/London')),
        'v': np.arange(5, dtype=np.int64),
    })
    return {
        'tz_columns': zones,
        'tz_index': pd.DataFrame({'v': [1.0, 2.0, 3.0, 4.0, 5.0]}, index=pd.DatetimeIndex(us.tz_convert('America/New_York'), name='when')),
        'tz_series': pd.Series(utc.tz_convert('Europe/Paris'), index=pd.DatetimeIndex(utc.tz_convert(pytz.FixedOffset(-90))), name='paris'),
    }


def iso(v):
    """Timestamp.isoformat() of the index and of each datetime column (None for other columns)."""
    def of(a):
        return [None if t is pd.NaT else t.isoformat() for t in a] if getattr(a.dtype, 'kind', None) == 'M' or isinstance(a.dtype, pd.DatetimeTZDtype) else None
    columns = [v.iloc[:, i] for i in range(v.shape[1])] if isinstance(v, pd.DataFrame) else [v]
    return {'index': of(v.index), 'columns': [of(c) for c in columns]}


def frames():
    n = 6
    mixed = pd.DataFrame({
        'i8': np.arange(n, dtype=np.int64) - 2,
        'f8': [0.5, -1.25, np.nan, 3.0, 1e300, -0.0],
        'obj': ['a', 'héllo', None, 'd', '', 'z'],
        'b': [True, False, True, True, False, False],
        'i4': np.arange(n, dtype=np.int32),
        'f8b': np.linspace(0, 1, n),
        'u1': np.arange(n, dtype=np.uint8),
        'dt': when(['2024-01-01', '2024-02-29 12:00', None, '1970-01-01', '2262-04-11', '1677-09-22']),
        'td': pd.to_timedelta(['1 day', '-2h', None, '0s', '3us', '1000 days']),
        'cat': pd.Categorical(['x', 'y', 'x', None, 'z', 'y']),
        'Int64': pd.array([1, None, 3, -4, 5, None], dtype='Int64'),
        'boolean': pd.array([True, None, False, True, None, False], dtype='boolean'),
        'string': pd.array(['a', None, 'c', 'd', 'e', ''], dtype='string'),
        'tz': when(['2024-01-01'] * n).tz_localize('UTC'),
        'period': pd.period_range('2024-01', periods=n, freq='M'),
    })
    return {
        'mixed': mixed,
        'numbers': pd.DataFrame(np.arange(12, dtype=np.float64).reshape(4, 3), columns=['x', 'y', 'z']),
        'int_columns': pd.DataFrame({0: [1, 2], 1: [3, 4]}, index=pd.Index([10, 20])),
        'float_index': pd.DataFrame({'v': [1, 2]}, index=pd.Index([0.5, 1.5], name='f')),
        'datetime_index': pd.DataFrame({'v': [1.0, 2.0, 3.0]}, index=pd.date_range('2024-01-01', periods=3, freq='D', name='day')),
        'timedelta_index': pd.DataFrame({'v': [1, 2]}, index=pd.to_timedelta(['1s', '2s'])),
        'period_index': pd.DataFrame({'v': [1, 2, 3]}, index=pd.period_range('2024-01-01', periods=3, freq='D')),
        'categorical_index': pd.DataFrame({'v': [1, 2, 3]}, index=pd.CategoricalIndex(['a', 'b', 'a'])),
        'multi_index': pd.DataFrame({'v': [1, 2, 3, 4]}, index=pd.MultiIndex.from_product([['a', 'b'], [1, 2]], names=['k', 'n'])),
        'string_index': pd.DataFrame({'v': [1, 2]}, index=pd.Index(['r1', 'r2'], name='row')),
        # Two object columns share one block (each loaded column is its slice of the block's items).
        'object_columns': pd.DataFrame({'a': pd.Series(['x', None, 'z'], dtype=object), 'b': pd.Series([1, 'two', 3.5], dtype=object), 'n': [1, 2, 3]}),
        'empty': pd.DataFrame(),
        'series_int': pd.Series([1, 2, 3], name='n'),
        'series_float_named_index': pd.Series([0.5, np.nan], index=pd.Index(['a', 'b'], name='k'), name='s'),
        'series_categorical': pd.Series(pd.Categorical(['lo', 'hi', 'lo'], categories=['lo', 'hi'], ordered=True)),
        'series_Int64': pd.Series(pd.array([1, None], dtype='Int64'), name=7),
        'series_datetime': pd.Series(when(['2024-01-01', None])),
        # Anchored frequencies: pandas 1.5 pickles their offsets (Week(1, False, 0), QuarterEnd(1, False, 1), …).
        'periods': pd.DataFrame({f: pd.period_range('2023-12-30', periods=3, freq=f) for f in PERIOD_FREQS}),
    }


# Each release's spelling of the same anchored frequencies (pandas 2.2 renamed A- to Y-).
PERIOD_FREQS = ['W-MON', 'W-SUN', 'W-SAT', 'Q-JAN', 'Q-DEC', 'A-JAN' if pd.__version__ < '2.2' else 'Y-JAN',
                'A-DEC' if pd.__version__ < '2.2' else 'Y-DEC', 'B', '2M', '3D']


def strings():
    """pandas 3's strings: the default str dtype (Arrow-backed, NaN for missing), string[pyarrow] and string[python] (NA),
    str with python storage, object columns and indexes, a sliced Arrow array (pyarrow pickles only the slice), all
    missing, empty."""
    texts = ['x', 'héllo', None, '', 'ü€𝄞', 'z']
    sliced = pd.array(['cut', *texts], dtype='str')[1:]
    frame = pd.DataFrame({
        'str': pd.array(texts, dtype='str'),
        'string_pyarrow': pd.array(texts, dtype='string[pyarrow]'),
        'string_python': pd.array(texts, dtype='string[python]'),
        'str_python': pd.array(texts, dtype=pd.StringDtype('python', na_value=np.nan)),
        'object': pd.array(['a', None, 1, np.nan, 'é', ''], dtype=object),
        'missing': pd.array([None] * 6, dtype='str'),
    }, index=pd.Index(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'], name='row'))
    return {
        'strings': frame,
        'series_str_sliced': pd.Series(sliced, index=pd.Index(['a', 'b', 'c', 'd', 'e', 'f'], dtype=object), name='s'),
        'series_str_empty': pd.Series(pd.array([], dtype='str'), index=pd.Index([], dtype='str')),
        'index_str': pd.Index(['p', None, 'q'], dtype='str', name='i'),
    }


class FixedTime:
    @staticmethod
    def time():
        return 1700000000.0


def main():
    out = os.path.join(HERE, 'pandas', pd.__version__)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    gzip.time = FixedTime
    n = 0

    def meta(p, v):
        return {'pandas': pd.__version__, 'numpy': np.__version__, 'protocol': p, 'value': v}

    def write_json(stem, m):
        with open(os.path.join(out, stem + '.json'), 'w') as f:
            json.dump(m, f, indent=1, sort_keys=True)
            f.write('\n')

    # pandas 3 made strings Arrow-backed by default: its own string fixtures (none for older pandas).
    for name, v in {**frames(), **tz_frames(), **(strings() if int(pd.__version__.split('.')[0]) >= 3 else {})}.items():
        for p in ((2, 4, 5) if name in ('mixed', 'tz_columns') else (4,)):
            with open(os.path.join(out, f'{name}.p{p}.pkl'), 'wb') as f:
                f.write(pickle.dumps(v, p))
            write_json(f'{name}.p{p}', {**meta(p, value(v)), **({'iso': iso(v)} if name.startswith('tz_') else {})})
            n += 1
    mixed = frames()['mixed']
    # to_pickle infers the compression from the name; zip entries get a fixed timestamp.
    orig_localtime = time.localtime
    time.localtime = lambda *a: orig_localtime(1700000000)
    try:
        for ext, fmt in (('gz', None), ('zip', None), ('tar', None), ('bz2', 'bz2'), ('xz', 'xz')):
            path = os.path.join(out, f'to_pickle.pkl.{ext}')
            mixed.to_pickle(path)
            write_json('to_pickle' if ext == 'gz' else f'to_pickle_{ext}', {'error': 'MalformedPickleError', 'names': fmt} if fmt else meta(pickle.HIGHEST_PROTOCOL, value(mixed)))
            if ext != 'gz':
                os.rename(path, os.path.join(out, f'to_pickle_{ext}.pkl.{ext}'))
            n += 1
    finally:
        time.localtime = orig_localtime
    print(f'gen_pandas.py: wrote {n} files under {os.path.relpath(out, HERE)}')


if __name__ == '__main__':
    main()
