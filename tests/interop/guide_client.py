#!/usr/bin/python3
"""The guide's four client snippets, run unchanged against streamlab-server.

Usage: guide_client.py ADDRESS STUB_DIR DATA_DIR

STUB_DIR holds streaming_examples_pb2.py / _pb2_grpc.py generated at test time
(protoc + grpc_python_plugin); DATA_DIR is the server's data dir (to check the
stored upload). Each call is made the way the guide writes it
(../shared/seed/grpc-streaming-patterns-guide.txt), plus a deadline, and its
result is checked. Exits non-zero on the first failed check.
"""

import hashlib
import json
import os
import sys
import tempfile
import time

address, stub_dir, data_dir = sys.argv[1:4]
sys.path.insert(0, stub_dir)

import grpc  # noqa: E402  (Debian's python3-grpcio)
from streaming_examples_pb2 import Chunk, EventFilter, Message, UserRequest  # noqa: E402
from streaming_examples_pb2_grpc import StreamingExamplesStub  # noqa: E402

DEADLINE = 60  # seconds, on every call


def check(condition, what):
    if not condition:
        print(f'FAIL: {what}', file=sys.stderr)
        sys.exit(1)
    print(f'ok: {what}')


channel = grpc.insecure_channel(address)
grpc.channel_ready_future(channel).result(timeout=DEADLINE)
stub = StreamingExamplesStub(channel)

# --- Unary ---------------------------------------------------------------
response = stub.GetUser(UserRequest(id='42'), timeout=DEADLINE)
print(response.name)
check(response.name != '' and ' ' in response.name, f"GetUser('42').name = {response.name!r}")
check('@' in response.email, f'GetUser(42).email = {response.email!r}')
check(response.id == '42', 'GetUser(42).id')

try:
    stub.GetUser(UserRequest(id='4711'), timeout=DEADLINE)
    check(False, 'GetUser(4711) fails')
except grpc.RpcError as error:
    check(error.code() == grpc.StatusCode.NOT_FOUND, f'GetUser(4711) → {error.code()} {error.details()!r}')
    check(error.details() == 'user 4711 not found', 'NOT_FOUND message')

for bad in ('', 'abc', '0'):
    try:
        stub.GetUser(UserRequest(id=bad), timeout=DEADLINE)
        check(False, f'GetUser({bad!r}) fails')
    except grpc.RpcError as error:
        check(error.code() == grpc.StatusCode.INVALID_ARGUMENT, f'GetUser({bad!r}) → {error.code()}')

# --- Server streaming ------------------------------------------------------
seen = []


def process_event(event):
    seen.append(event)


started = time.monotonic()
for event in stub.ListEvents(EventFilter(after='2024-01-01'), timeout=DEADLINE):
    process_event(event)
seconds = time.monotonic() - started
check(len(seen) >= 100000, f'ListEvents(after=2024-01-01) streamed {len(seen)} events '
      f'({len(seen) / seconds:.0f} events/s to python)')
check(all(b.id > a.id for a, b in zip(seen, seen[1:])), 'events come in id order')
check(all(e.type and isinstance(json.loads(e.data), dict) for e in seen[:1000]), 'events have a type and JSON data')
check(seen[0].time_ms >= 1704067200000, 'the history starts after 2024-01-01')

try:
    list(stub.ListEvents(EventFilter(after='not a date'), timeout=DEADLINE))
    check(False, 'ListEvents(after=not a date) fails')
except grpc.RpcError as error:
    check(error.code() == grpc.StatusCode.INVALID_ARGUMENT, f'unparsable after → {error.code()}')

# Cancelling a stream the way a python client does (break out, cancel the call).
call = stub.ListEvents(EventFilter(after='2024-01-01'), timeout=DEADLINE)
for i, event in enumerate(call):
    if i == 10:
        call.cancel()
        break
check(call.code() == grpc.StatusCode.CANCELLED, 'a cancelled stream reports CANCELLED')

# --- Client streaming --------------------------------------------------------


def generate_chunks(filepath: str):
    with open(filepath, 'rb') as f:
        while chunk := f.read(65536):
            yield Chunk(data=chunk)


payload = os.urandom(3 * 65536 + 1234)
with tempfile.NamedTemporaryFile(suffix='.bin', delete=False) as f:
    f.write(payload)
    path = f.name
try:
    result = stub.UploadChunks(generate_chunks(path), timeout=DEADLINE)
finally:
    os.unlink(path)
print(f'Uploaded {result.bytes_received} bytes')
check(result.bytes_received == len(payload), f'bytes_received = {result.bytes_received}')
digest = hashlib.sha256(payload).hexdigest()
check(result.sha256 == digest, 'the server reports the SHA-256 of what was sent')
stored = os.path.join(data_dir, 'uploads', result.stored_name)
with open(stored, 'rb') as f:
    check(hashlib.sha256(f.read()).hexdigest() == digest, f'the stored file {result.stored_name} is what was sent')

# --- Bidirectional streaming ---------------------------------------------------
texts = ['hello from the guide', 'second line', 'third line']


def user_input_stream():
    yield from texts


def send_messages():
    for text in user_input_stream():
        yield Message(text=text, user='alice')


received = []


def display(text):
    received.append(text)


responses = []
for response in stub.Chat(send_messages(), timeout=DEADLINE):
    display(response.text)
    responses.append(response)

lines = [r for r in responses if r.kind == Message.CHAT]
acks = [r for r in responses if r.kind == Message.ACK]
check([r.text for r in lines] == texts, f'Chat delivered every line back to its sender: {[r.text for r in lines]}')
check(all(r.user == 'alice' and r.seq > 0 and r.time_ms > 0 for r in lines), 'lines carry user, seq and time')
check([r.seq for r in lines] == sorted(r.seq for r in lines), 'lines in seq order')
check(len(acks) == len(texts) and all(not a.error for a in acks), 'one ACK per line')
check(all(t in received for t in texts), 'display() saw every text')

channel.close()
print('guide client: all checks passed')
