# SPDX-License-Identifier: MIT
"""A pyzmq peer for tests/test_interop.cpp.

Usage: peer.py MODE ENDPOINT [ARGS...]

The zmqraii side binds and passes its endpoint(s); this peer connects, plays
its part of the scenario, checks everything it receives and exits by itself:
0 on success, 1 when a check failed, 2 on bad usage, 3 on a timeout, 77 when
pyzmq is not installed (mode "check" only asks that). Failures are explained
on stderr. Every receive has a timeout, so the peer never hangs.

The same modes, with the same wire behaviour, exist in cppzmq_peer.cpp.
"""

import sys

try:
    import zmq
except ImportError as e:  # the test reports the peer as SKIPPED
    print("peer.py: pyzmq is not installed: %s" % e, file=sys.stderr)
    sys.exit(77)

TIMEOUT_MS = 10000
LINGER_MS = 2000


class Failed(Exception):
    pass


def expect(what, got, wanted):
    if got != wanted:
        raise Failed("%s: got %r, expected %r" % (what, got, wanted))


def make(ctx, kind, endpoint):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, LINGER_MS)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    if endpoint is not None:
        s.connect(endpoint)
    return s


def mode_req(ctx, ep):
    """REQ: five requests "ping <i>", each answered "pong <i>"."""
    s = make(ctx, zmq.REQ, ep)
    for i in range(5):
        s.send(b"ping %d" % i)
        expect("reply %d" % i, s.recv(), b"pong %d" % i)


def mode_rep(ctx, ep):
    """REP: answers five requests "ask <i>" with "answer <i>"."""
    s = make(ctx, zmq.REP, ep)
    for i in range(5):
        expect("request %d" % i, s.recv(), b"ask %d" % i)
        s.send(b"answer %d" % i)


def mode_sub(ctx, ep):
    """SUB on topics "weather." and "news."; the publisher ends with "news.end".

    Messages are [topic, body]; only the subscribed topics may arrive."""
    s = make(ctx, zmq.SUB, ep)
    s.setsockopt(zmq.SUBSCRIBE, b"weather.")
    s.setsockopt(zmq.SUBSCRIBE, b"news.")
    got = []
    while True:
        parts = s.recv_multipart()
        got.append(parts)
        if parts[0] == b"news.end":
            break
    expect("messages", got, [[b"weather.today", b"sunny"], [b"news.local", b"hello"],
                             [b"news.end", b""]])


def mode_xpub(ctx, ep):
    """XPUB publisher: waits for the subscription to "news.", then publishes
    four topics; the subscriber must see only the news."""
    s = make(ctx, zmq.XPUB, ep)
    expect("subscription", s.recv(), b"\x01news.")
    for topic, body in ((b"sports.x", b"goal"), (b"news.1", b"first"),
                        (b"weather.y", b"rain"), (b"news.end", b"last")):
        s.send_multipart([topic, body])


def mode_pushpull(ctx, ep_in, ep_out):
    """PULL tasks "task <i>" from ep_in until "END"; PUSH "done <i>" to ep_out,
    then "END"."""
    pull = make(ctx, zmq.PULL, ep_in)
    push = make(ctx, zmq.PUSH, ep_out)
    n = 0
    while True:
        m = pull.recv()
        if m == b"END":
            break
        expect("task", m, b"task %d" % n)
        push.send(b"done %d" % n)
        n += 1
    if n == 0:
        raise Failed("no task arrived before END")
    push.send(b"END")


def mode_dealer(ctx, ep, identity):
    """DEALER with routing id `identity`: three requests
    ["", "request", "<i>", bytes 0..255], each answered
    ["", "reply", "<i>", the bytes reversed]; then ["", "bye"]."""
    s = make(ctx, zmq.DEALER, None)
    s.setsockopt(zmq.ROUTING_ID, identity.encode())
    s.connect(ep)
    blob = bytes(range(256))
    for i in range(3):
        s.send_multipart([b"", b"request", b"%d" % i, blob])
        expect("reply %d" % i, s.recv_multipart(), [b"", b"reply", b"%d" % i, blob[::-1]])
    s.send_multipart([b"", b"bye"])


def mode_curve_client(ctx, ep, server_public, client_public, client_secret):
    """CURVE client PAIR: sends "hello over curve", expects "welcome: hello over curve"."""
    if not zmq.has("curve"):
        raise Failed("this pyzmq/libzmq has no CURVE")
    s = make(ctx, zmq.PAIR, None)
    s.setsockopt(zmq.CURVE_SERVERKEY, server_public.encode())
    s.setsockopt(zmq.CURVE_PUBLICKEY, client_public.encode())
    s.setsockopt(zmq.CURVE_SECRETKEY, client_secret.encode())
    s.connect(ep)
    s.send(b"hello over curve")
    expect("reply", s.recv(), b"welcome: hello over curve")
    expect("mechanism", s.getsockopt(zmq.MECHANISM), zmq.CURVE)


MODES = {
    "req": (mode_req, 1),
    "rep": (mode_rep, 1),
    "sub": (mode_sub, 1),
    "xpub": (mode_xpub, 1),
    "pushpull": (mode_pushpull, 2),
    "dealer": (mode_dealer, 2),
    "curve-client": (mode_curve_client, 4),
}


def main(argv):
    if len(argv) >= 2 and argv[1] == "check":
        print("pyzmq %s, libzmq %s" % (zmq.pyzmq_version(), zmq.zmq_version()))
        return 0
    if len(argv) < 3 or argv[1] not in MODES or len(argv) - 2 != MODES[argv[1]][1]:
        print("usage: peer.py check | MODE ENDPOINT [ARGS...]; modes: %s"
              % ", ".join(sorted(MODES)), file=sys.stderr)
        return 2
    fn, _ = MODES[argv[1]]
    ctx = zmq.Context()
    try:
        fn(ctx, *argv[2:])
        return 0
    except zmq.Again:
        print("peer.py %s: timed out after %d ms" % (argv[1], TIMEOUT_MS), file=sys.stderr)
        return 3
    except Failed as e:
        print("peer.py %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    finally:
        ctx.destroy(linger=LINGER_MS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
