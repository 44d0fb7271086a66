#!/usr/bin/python3
"""CTest driver for the interop test (tst_interop).

Generates the Python stubs into a temporary dir (protoc + grpc_python_plugin),
starts the real streamlab-server on 127.0.0.1:0 with a fresh data dir, reads
the bound port from its "ready on 127.0.0.1:PORT" line, runs guide_client.py
against it, and stops the server with SIGTERM in every case (then checks that
it exited cleanly).
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument('--server', required=True, help='the streamlab-server executable')
parser.add_argument('--proto-dir', required=True, help='directory of streaming_examples.proto')
parser.add_argument('--protoc', default='protoc')
parser.add_argument('--grpc-python-plugin', default='/usr/bin/grpc_python_plugin')
parser.add_argument('--timeout', type=float, default=120, help='seconds for the whole client run')
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))

try:
    import grpc  # noqa: F401
    import google.protobuf  # noqa: F401
except ImportError as error:
    sys.exit(f'tst_interop needs python3-grpcio and python3-protobuf for {sys.executable}: {error}')
if not os.access(args.grpc_python_plugin, os.X_OK):
    sys.exit(f'tst_interop needs {args.grpc_python_plugin} (Debian: protobuf-compiler-grpc)')



def stop_with_parent():
    # Linux: the server gets SIGTERM if this driver dies without cleaning up
    # (e.g. killed by CTest's timeout).
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# A SIGTERM/SIGINT to the driver still runs the clean-up below.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

with tempfile.TemporaryDirectory(prefix='streamlab-interop-') as tmp:
    stubs = os.path.join(tmp, 'stubs')
    data = os.path.join(tmp, 'data')
    os.makedirs(stubs)
    subprocess.run([args.protoc, f'--plugin=protoc-gen-grpc_python={args.grpc_python_plugin}',
                    f'--proto_path={args.proto_dir}', f'--python_out={stubs}', f'--grpc_python_out={stubs}',
                    os.path.join(args.proto_dir, 'streaming_examples.proto')], check=True, timeout=60)

    server = subprocess.Popen([args.server, '--listen', '127.0.0.1:0', '--data-dir', data],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              preexec_fn=stop_with_parent)
    log = []
    ready = threading.Event()
    address = []

    def drain():
        # Reads the log until the server exits (so its pipe never fills).
        for line in server.stderr:
            log.append(line)
            match = re.search(r'ready on (127\.0\.0\.1:\d+)', line)
            if match and not address:
                address.append(match.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    result = 1
    try:
        if not ready.wait(30) or not address:
            print('streamlab-server did not report "ready on": log follows', file=sys.stderr)
        else:
            started = time.monotonic()
            client = subprocess.run([sys.executable, os.path.join(here, 'guide_client.py'), address[0], stubs, data],
                                    timeout=args.timeout)
            result = client.returncode
            print(f'guide client exited {result} after {time.monotonic() - started:.1f} s')
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                print('streamlab-server did not stop on SIGTERM within 10 s', file=sys.stderr)
                result = result or 1
        reader.join(5)
    if server.returncode != 0:
        print(f'streamlab-server exited with {server.returncode}', file=sys.stderr)
        result = result or 1
    if result != 0:
        sys.stderr.write(''.join(log[-200:]))
    sys.exit(result)
