#!/usr/bin/python3
"""free_ports.py N [AVOID ...]: prints N loopback TCP ports that were free a moment ago.

The ports come from below the kernel's ephemeral range (net.ipv4.ip_local_port_range), not
from a bind to port 0: a port the kernel hands out that way is an ephemeral one, and between
this check and the server's own bind any outgoing connection on the machine (a test's
client, a MariaDB or Redis connection) may be given it, which makes the server fail with
"Address already in use". Below that range only a listener can take a port, and each
candidate is checked with a bind (SO_REUSEADDR, as the servers bind) while all are held.
The same policy as test_free_port() in tests/support/test_support.c.
"""
import random
import socket
import sys


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def main():
    want = int(sys.argv[1])
    avoid = {int(p) for p in " ".join(sys.argv[2:]).split()}
    low = ephemeral_low()
    first = 10000 if low > 12000 else 1024
    held = []
    tries = 0
    while len(held) < want:
        tries += 1
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            if tries > 2000:  # nothing free below the range: whatever the kernel gives
                s.bind(("127.0.0.1", 0))
            else:
                port = random.randrange(first, low)
                if port in avoid:
                    s.close()
                    continue
                s.bind(("127.0.0.1", port))
            s.listen(1)  # held as a listener, so no other check here or elsewhere takes it
        except OSError:
            s.close()
            continue
        if s.getsockname()[1] in avoid:
            s.close()
            continue
        held.append(s)
    print(" ".join(str(s.getsockname()[1]) for s in held))


main()
