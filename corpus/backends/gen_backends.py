#!/usr/bin/python3
"""Writes corpus/backends: what Django, Celery/kombu and RQ store, written through the libraries
themselves (Debian's python3-django, python3-celery, python3-kombu, python3-rq under /usr/bin/python3),
with no server: Django's caches write to a temporary directory and to memory, kombu's Redis channel
runs against a stand-in client that records what would be LPUSHed, Celery's results go to its
in-memory cache backend, RQ's job data and results are taken from the dicts RQ would write to Redis.
Values that vary from run to run (delivery tags, reply queues, host names, dates) are fixed so that
regenerating gives no diff. Hostile variants are assembled from pickle opcodes: they are never
loaded here.

manifest.json lists every file: its producer and version, the format, the pickleguard policy it
needs, the expected value (the JSON `pickleguard convert` prints) where the value is plain data,
and for hostile files what must happen ("refused").
"""
import base64
import json
import os
import pickle
import shutil
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = []
GROUP = [None]
SKIPPED = set()


def write(name, data, **info):
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)
    MANIFEST.append({'file': name, 'group': GROUP[0], **info})


def convert_json(v):
    """The JSON `pickleguard convert` prints for plain data (what these fixtures hold)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 - 1 else {'$int': str(v)}
    if isinstance(v, float):
        return v
    if isinstance(v, bytes):
        return {'$bytes': base64.b64encode(v).decode()}
    if isinstance(v, tuple):
        return {'$tuple': [convert_json(x) for x in v]}
    if isinstance(v, list):
        return [convert_json(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith('$') for k in v):
            return {k: convert_json(x) for k, x in v.items()}
        return {'$dict': [[convert_json(k), convert_json(x)] for k, x in v.items()]}
    raise TypeError(type(v))


# Hand-assembled hostile pickles (protocol 0/2 opcodes; never loaded here).
OS_SYSTEM = b"cos\nsystem\n(S'echo pwned'\ntR."
POSIX_SYSTEM = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00idq\x00\x85R."


def missing(producer, error):
    SKIPPED.add(GROUP[0])
    print(f'gen_backends: skipping {producer} (its committed files are kept): {error}', file=sys.stderr)


# --- Django -------------------------------------------------------------------------------------
def gen_django():
    try:
        import django
        from django.conf import settings
    except ImportError as e:
        return missing('django (python3-django)', e)
    tmp = tempfile.mkdtemp()
    settings.configure(
        INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth', 'django.contrib.sessions'],
        USE_TZ=True,
        SECRET_KEY='corpus',
        CACHES={
            'files': {'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache', 'LOCATION': tmp},
            'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache', 'LOCATION': 'corpus'},
        },
        SESSION_ENGINE='django.contrib.sessions.backends.cache',
        DATABASES={},
    )
    django.setup()
    from django.core.cache import caches
    producer = f'django {django.get_version()}'
    try:
        value = {'user': 'alice', 'ids': [1, 2, 3], 'ratio': 0.5, 'tags': ('a', 'b'), 'raw': b'\x00\x01'}
        files = caches['files']

        def file_entry(key, v, timeout):
            files.set(key, v, timeout=timeout)
            with open(files._key_to_file(key), 'rb') as f:
                return f.read()

        write('django-filecache.djcache', file_entry('report', value, None), producer=producer, format='django-file-cache',
              policy='default', expected=convert_json(value), parts=['#expiry', '#value'])
        # An expiry: FileBasedCache writes time.time() + timeout; time is fixed for a stable file.
        import time
        real = time.time
        time.time = lambda: 1700000000.0
        try:
            data = file_entry('counter', 41, 300)
        finally:
            time.time = real
        write('django-filecache-expiry.djcache', data, producer=producer, format='django-file-cache', policy='default',
              expected=41, expiry=1700000300.0)

        # LocMem (and Memcached, Redis in Django 4+): the value pickled at the highest protocol.
        mem = caches['default']
        mem.set('page', value, timeout=None)
        write('django-locmem.pkl', mem._cache[mem.make_key('page')], producer=producer, format='pickle', policy='default',
              expected=convert_json(value))

        # A session stored by the cache backend: its dict, pickled by the cache.
        from django.contrib.sessions.backends.cache import SessionStore
        s = SessionStore()
        s['cart'] = [3, 4]
        s['_auth_user_id'] = '7'
        s.save()
        raw = mem._cache[mem.make_key(s.cache_key)]
        write('django-session.pkl', raw, producer=producer, format='pickle', policy='default',
              expected=convert_json(pickle.loads(raw)))

        # A model instance: model_unpickle(('auth', 'Group')), then its __dict__ with a ModelState.
        from django.contrib.auth.models import Group
        write('django-model.pkl', pickle.dumps(Group(id=3, name='editors'), pickle.HIGHEST_PROTOCOL), producer=producer,
              format='pickle', policy='django', model=['auth', 'Group'], fields={'id': 3, 'name': 'editors'})
    finally:
        shutil.rmtree(tmp)

    # django-redis's own encodings (django-redis is not in Debian): ints as decimal text, compressed pickles.
    crafted = 'crafted as django-redis writes it'
    write('django-redis-int.txt', b'42', producer=crafted, format='decimal', policy='default', expected=42)
    body = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    write('django-redis-zlib.bin', zlib.compress(body), producer=crafted, format='zlib', policy='default', expected=convert_json(value))
    import gzip
    write('django-redis-gzip.bin', gzip.compress(body, mtime=0), producer=crafted, format='gzip', policy='default', expected=convert_json(value))
    import lzma
    write('django-redis-lzma.bin', lzma.compress(body), producer=crafted, format='xz', policy='default', unreadable='xz')

    # Hostile: a clean expiry pickle, then a hostile value pickle.
    write('hostile-django-value.djcache', pickle.dumps(None, pickle.HIGHEST_PROTOCOL) + zlib.compress(OS_SYSTEM),
          producer='crafted', format='django-file-cache', policy='default', hostile='os.system')
    # Hostile: a model the host did not list.
    evil_model = (b'\x80\x02cdjango.db.models.base\nmodel_unpickle\nX\x05\x00\x00\x00adminX\x08\x00\x00\x00LogEntry\x86\x85R}b.')
    write('hostile-django-model.pkl', evil_model, producer='crafted', format='pickle', policy='django', hostile='django.db.models.base.model_unpickle')


# --- Celery / kombu -----------------------------------------------------------------------------
def gen_celery():
    try:
        import celery
        import kombu
        import kombu.transport.redis as kr
        from kombu.utils.json import dumps as kombu_dumps
    except ImportError as e:
        return missing('celery/kombu (python3-celery, python3-kombu)', e)
    pushed = []

    class Client:
        """Stands in for redis-py: records LPUSHes, answers the rest as an empty server would."""

        def __getattr__(self, name):
            def call(*args, **kwargs):
                if name == 'lpush':
                    pushed.append(args[1])
                if name == 'execute':
                    return [0, 0, 0, 0]
                return self if name in ('pipeline', 'llen', 'sadd', 'lpush', 'zadd', 'hset', 'set', 'expire', 'publish') else 1
            return call

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    kr.Channel._create_client = lambda self, asynchronous=False: Client()
    app = celery.Celery('proj', broker='redis://localhost:6379/0', backend='cache+memory://')
    app.conf.update(task_serializer='pickle', accept_content=['pickle', 'json'], result_serializer='pickle', task_protocol=2)
    producer = f'celery {celery.__version__} / kombu {kombu.__version__}'

    def message(task, args, kwargs, task_id, **options):
        pushed.clear()
        app.send_task(task, args=args, kwargs=kwargs, task_id=task_id, **options)
        (raw,) = pushed
        m = json.loads(raw)
        # Fields that vary by run or host.
        m['headers']['origin'] = 'gen@corpus'
        m['properties']['reply_to'] = '00000000-0000-4000-8000-00000000feed'
        m['properties']['delivery_tag'] = '00000000-0000-4000-8000-0000000000d1'
        return kombu_dumps(m).encode()

    embed = {'callbacks': None, 'errbacks': None, 'chain': None, 'chord': None}
    args, kwargs = (2, 3), {'z': 1}
    msg = message('proj.add', args, kwargs, '0f1e2d3c-0000-4000-8000-000000000001')
    write('celery-message.json', msg, producer=producer, format='kombu-message', policy='default',
          expected=convert_json((args, kwargs, embed)))
    zmsg = message('proj.add', args, kwargs, '0f1e2d3c-0000-4000-8000-000000000002', compression='zlib')
    write('celery-message-zlib.json', zmsg, producer=producer, format='kombu-message', policy='default',
          expected=convert_json((args, kwargs, embed)))

    # Results, as the Redis backend stores them (the cache backend encodes the same bytes).
    import datetime as dt
    import celery.backends.base as cb

    class Fixed(dt.datetime):
        @classmethod
        def utcnow(cls):
            return dt.datetime(2024, 5, 1, 12, 30)

    cb.datetime = Fixed
    backend = app.backend
    backend.mark_as_done('0f1e2d3c-0000-4000-8000-0000000000a1', {'sum': 5})
    ok = backend.client.get(backend.get_key_for_task('0f1e2d3c-0000-4000-8000-0000000000a1'))
    write('celery-result.pkl', ok, producer=producer, format='pickle', policy='celery', expected=convert_json(pickle.loads(ok)))
    try:
        raise ValueError('bad input')
    except ValueError as e:
        backend.mark_as_failure('0f1e2d3c-0000-4000-8000-0000000000a2', e, traceback='Traceback (most recent call last):\nValueError: bad input\n')
    failed = backend.client.get(backend.get_key_for_task('0f1e2d3c-0000-4000-8000-0000000000a2'))
    write('celery-result-failure.pkl', failed, producer=producer, format='pickle', policy='celery', needs='exceptions',
          exception=['builtins', 'ValueError', ['bad input']], status='FAILURE')

    # Hostile: a real envelope whose body calls os.system; the same hidden under zlib compression.
    m = json.loads(msg)
    m['body'] = base64.b64encode(OS_SYSTEM).decode()
    write('hostile-celery-message.json', kombu_dumps(m).encode(), producer='crafted', format='kombu-message', policy='default', hostile='os.system')
    m = json.loads(zmsg)
    m['body'] = base64.b64encode(zlib.compress(POSIX_SYSTEM)).decode()
    write('hostile-celery-message-zlib.json', kombu_dumps(m).encode(), producer='crafted', format='kombu-message', policy='default', hostile='posix.system')
    # Hostile: a failed result whose exception is subprocess.CalledProcessError with a state that calls os.system.
    hostile_result = (
        b'\x80\x02}(X\x06\x00\x00\x00statusX\x07\x00\x00\x00FAILUREX\x06\x00\x00\x00result'
        b'csubprocess\nCalledProcessError\nK\x01X\x01\x00\x00\x00x\x86R'
        b'}X\x03\x00\x00\x00cmdcos\nsystem\nX\x02\x00\x00\x00id\x85Rsb'
        b'X\x07\x00\x00\x00task_idX\x02\x00\x00\x00t1u.'
    )
    write('hostile-celery-result.pkl', hostile_result, producer='crafted', format='pickle', policy='celery', hostile='subprocess.CalledProcessError')


# --- RQ -----------------------------------------------------------------------------------------
def gen_rq():
    try:
        import rq
        from redis import Redis
        from rq.job import Job
        from rq.results import Result
    except ImportError as e:
        return missing('rq (python3-rq)', e)
    producer = f'rq {rq.__version__}'
    job = Job.create('myapp.tasks.add', args=(2, 3), kwargs={'z': 1}, connection=Redis(), id='job-1')
    fields = job.to_dict()
    write('rq-job-data.bin', fields['data'], producer=producer, format='zlib', policy='default',
          expected=convert_json(('myapp.tasks.add', None, (2, 3), {'z': 1})))
    # RQ reads data that does not decompress as it is: the uncompressed fallback.
    write('rq-job-data-plain.pkl', job.data, producer=producer, format='pickle', policy='default',
          expected=convert_json(('myapp.tasks.add', None, (2, 3), {'z': 1})))
    result = Result(job.id, Result.Type.SUCCESSFUL, connection=Redis(), return_value={'sum': 5})
    write('rq-result.b64', result.serialize()['return_value'].encode(), producer=producer, format='base64', policy='default',
          expected={'sum': 5})
    # Hostile: job data whose instance calls posix.system; a result that calls os.system.
    write('hostile-rq-job-data.bin', zlib.compress(b'\x80\x02(X\x0f\x00\x00\x00myapp.tasks.add' + POSIX_SYSTEM[2:-1] + b')}t.'),
          producer='crafted', format='zlib', policy='default', hostile='posix.system')
    write('hostile-rq-result.b64', base64.b64encode(b'\x80\x04' + OS_SYSTEM), producer='crafted', format='base64', policy='default', hostile='os.system')


def main():
    # The libraries are Debian's: a python3 without them hands over to /usr/bin/python3.
    try:
        import django  # noqa: F401
    except ImportError:
        if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3'):
            os.execv('/usr/bin/python3', ['/usr/bin/python3', os.path.abspath(__file__)])
    path = os.path.join(HERE, 'manifest.json')
    old = json.load(open(path)) if os.path.exists(path) else []
    for group, gen in (('django', gen_django), ('celery', gen_celery), ('rq', gen_rq)):
        GROUP[0] = group
        gen()
    # A producer that is missing keeps its committed files and their manifest entries.
    MANIFEST.extend(m for m in old if m.get('group') in SKIPPED)
    with open(os.path.join(HERE, 'manifest.json'), 'w') as f:
        json.dump(sorted(MANIFEST, key=lambda m: m['file']), f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'gen_backends: wrote {len(MANIFEST)} files to {HERE}')


if __name__ == '__main__':
    main()
