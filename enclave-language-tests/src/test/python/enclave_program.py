#!/usr/bin/python3
"""The language matrix's Python enclave program: an ordinary enclave program (fcntl.ioctl on /dev/nsm with
a ctypes struct nsm_raw, CBOR via cbor2, socket.AF_VSOCK), no nitro-emu code.

    enclave_program.py NONCE_HEX ECHO_PORT LISTEN_PORT

Steps and stdout lines: the module README ("Program contract")."""

import base64
import ctypes
import fcntl
import os
import re
import socket
import sys
import threading

import cbor2

NSM_IOCTL_RAW = 0xC0200A00
NSM_RESPONSE_MAX = 0x3000
PARENT_CID = 3
ECHO_BYTES = 65536
CHUNK = 8192
ACCEPT_TIMEOUT_SECONDS = 30
READ_TIMEOUT_SECONDS = 30
EXTEND_DATA = b"nitro-emu"


class StepError(Exception):
    def __init__(self, step, detail):
        super().__init__(detail)
        self.step = step
        self.detail = detail


class NsmRaw(ctypes.Structure):
    """The kernel driver's struct nsm_raw: request and response buffers as (address, length)."""

    _fields_ = [
        ("request_addr", ctypes.c_uint64),
        ("request_len", ctypes.c_uint64),
        ("response_addr", ctypes.c_uint64),
        ("response_len", ctypes.c_uint64),
    ]


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def nsm_call(fd, step, request, expected, allow_error=False):
    """Sends one CBOR request; returns the value under the response's key, or ("Error", name)."""
    encoded = cbor2.dumps(request)
    request_buffer = ctypes.create_string_buffer(encoded, len(encoded))
    response_buffer = ctypes.create_string_buffer(NSM_RESPONSE_MAX)
    raw = NsmRaw(
        ctypes.addressof(request_buffer), len(encoded), ctypes.addressof(response_buffer), NSM_RESPONSE_MAX
    )
    try:
        fcntl.ioctl(fd, NSM_IOCTL_RAW, raw, True)
    except OSError as e:
        raise StepError(step, "ioctl " + os.strerror(e.errno)) from e
    response = cbor2.loads(response_buffer.raw[: raw.response_len])
    if response == expected:
        return None
    if not isinstance(response, dict) or len(response) != 1:
        raise StepError(step, "unexpected response %r" % (response,))
    (key, value), = response.items()
    if key == "Error" and allow_error:
        return ("Error", value)
    if key != expected:
        raise StepError(step, "unexpected response %r" % (response,))
    return value


def nsm_steps(nonce, step):
    """Steps 2-6; step[0] names the step running (for the error line)."""
    step[0] = "describe"
    fd = os.open("/dev/nsm", os.O_RDWR | os.O_CLOEXEC)
    try:
        d = nsm_call(fd, "describe", "DescribeNSM", "DescribeNSM")
        locked = ",".join(str(i) for i in d["locked_pcrs"])
        say("describe digest=%s max_pcrs=%d module_id=%s locked=%s" % (d["digest"], d["max_pcrs"], d["module_id"], locked))

        step[0] = "extend"
        extend = {"ExtendPCR": {"index": 16, "data": EXTEND_DATA}}
        value = nsm_call(fd, "extend", extend, "ExtendPCR")["data"]
        say("extend pcr=16 data=%s value=%s" % (EXTEND_DATA.hex(), value.hex()))
        nsm_call(fd, "lock", {"LockPCR": {"index": 16}}, "LockPCR")
        say("lock pcr=16")
        again = nsm_call(fd, "extend-after-lock", extend, "ExtendPCR", allow_error=True)
        if not isinstance(again, tuple):
            raise StepError("extend-after-lock", "ExtendPCR succeeded on a locked PCR")
        say("extend-after-lock error=%s" % again[1])

        step[0] = "random"
        random = nsm_call(fd, "random", "GetRandom", "GetRandom")["random"]
        say("random bytes=%s" % random.hex())

        step[0] = "attestation"
        attestation = {"Attestation": {"user_data": None, "nonce": nonce, "public_key": None}}
        document = nsm_call(fd, "attestation", attestation, "Attestation")["document"]
        say("attestation doc=%s" % base64.b64encode(document).decode("ascii"))
    finally:
        os.close(fd)


def receive_exactly(connection, n):
    chunks = []
    while n > 0:
        chunk = connection.recv(min(n, CHUNK))
        if not chunk:
            raise StepError("echo-client", "short echo: EOF with %d bytes missing" % n)
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def echo_client(port):
    with socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM) as connection:
        connection.connect((PARENT_CID, port))
        connection.settimeout(READ_TIMEOUT_SECONDS)
        local_cid, _ = connection.getsockname()
        peer_cid, peer_port = connection.getpeername()
        say("client local_cid=%d peer_cid=%d peer_port=%d" % (local_cid, peer_cid, peer_port))
        sent = bytes(i % 251 for i in range(ECHO_BYTES))
        received = []
        # In chunks, each read back before the next is written: the echo never has to buffer more than one.
        for offset in range(0, ECHO_BYTES, CHUNK):
            connection.sendall(sent[offset : offset + CHUNK])
            received.append(receive_exactly(connection, CHUNK))
        if b"".join(received) != sent:
            raise StepError("echo-client", "echoed bytes differ")
    say("echo-client bytes=%d ok" % ECHO_BYTES)


def serve_once(listener, result):
    """Accepts one connection and echoes it until EOF; fills result (or result["error"])."""
    try:
        listener.settimeout(ACCEPT_TIMEOUT_SECONDS)
        connection, (peer_cid, _) = listener.accept()
        with connection:
            connection.settimeout(READ_TIMEOUT_SECONDS)
            result["peer_cid"] = peer_cid
            result["local_port"] = connection.getsockname()[1]
            total = 0
            while True:
                data = connection.recv(CHUNK)
                if not data:
                    break
                connection.sendall(data)
                total += len(data)
            result["bytes"] = total
    except (OSError, ValueError) as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)


def main(argv):
    if len(argv) != 4:
        raise StepError("arguments", "usage: %s NONCE_HEX ECHO_PORT LISTEN_PORT" % argv[0])
    if not re.fullmatch(r"(?:[0-9a-f]{2}){1,64}", argv[1]):
        raise StepError("arguments", "nonce must be 1..64 bytes of lowercase hex")
    if not argv[2].isdigit() or not argv[3].isdigit():
        raise StepError("arguments", "ports must be decimal numbers")
    nonce, echo_port, listen_port = bytes.fromhex(argv[1]), int(argv[2]), int(argv[3])

    try:
        listener = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        listener.bind((socket.VMADDR_CID_ANY, listen_port))
        listener.listen(4)
    except OSError as e:
        raise StepError("listen", str(e)) from e
    result = {}
    server = threading.Thread(target=serve_once, args=(listener, result), daemon=True)
    server.start()
    say("listening port=%d" % listen_port)

    step = ["describe"]
    try:
        nsm_steps(nonce, step)
    except (OSError, KeyError, TypeError, ValueError, cbor2.CBORDecodeError) as e:
        raise StepError(step[0], "%s: %s" % (type(e).__name__, e)) from e
    try:
        echo_client(echo_port)
    except (OSError, ValueError) as e:
        raise StepError("echo-client", "%s: %s" % (type(e).__name__, e)) from e

    server.join(ACCEPT_TIMEOUT_SECONDS * 2)
    if server.is_alive() or "error" in result:
        raise StepError("echo-server", result.get("error", "the echo did not finish"))
    say("server peer_cid=%d local_port=%d" % (result["peer_cid"], result["local_port"]))
    say("echo-server bytes=%d ok" % result["bytes"])
    listener.close()
    say("done")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except StepError as e:
        say("error step=%s detail=%s" % (e.step, e.detail.replace("\n", " ")))
        sys.exit(1)
