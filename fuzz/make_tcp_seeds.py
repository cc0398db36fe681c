#!/usr/bin/python3
"""Writes the seed corpus of tcp_stateful_fuzz (fuzz/tcp_seeds/): hand-made sessions that
reach the interesting states at once (bulk transfer, loss recovery with SACK, out-of-order
receive, zero window, keepalive, the closing states, ECN, no options at all).

The fuzzer reads its input with libFuzzer's FuzzedDataProvider, which takes integers from the
END of the input, most significant byte first, and uses only as many bytes as the value's
range needs. Seed.encode() mirrors that: values are recorded in the order the fuzzer consumes
them and the bytes are reversed at the end. The field order below follows the decoders in
tcp_stateful_fuzz.cc (DecodeConfig, DecodeOffer, Setup, Dispatch and the Op* functions);
change both together. Stale seeds still work as inputs, they just stop meaning what they say.

Usage: python3 fuzz/make_tcp_seeds.py
"""
import os

# Operation codes: an index into the weight table of DecodeOp (byte % 64).
OPS = {"segment": 0, "data": 10, "ack": 20, "fin": 30, "replay": 32, "advance": 36,
       "write": 44, "read": 51, "shutdown": 57, "setopt": 59, "close": 62, "abort": 63}
MSS = 1460
ACK, PSH, FIN = 0x10, 0x08, 0x01


class Seed:
    def __init__(self, active=False, bufs=(0, 0), features=0, offer=None, irs=1000,
                 teardown=0):
        self.out = []       # bytes in the order the fuzzer consumes them
        self.history = 0    # injected segments the fuzzer remembers (at most 16)
        offer = offer or {}
        self.rng(bufs[0], 0, 3)
        self.rng(bufs[1], 0, 3)
        self.u(features, 1)
        self.rng(1 if active else 0, 0, 255)
        self.offer(offer)
        self.u(irs, 4)
        self.u(offer.get("tsval", 77), 4)
        self.rng(40000, 1024, 65535)
        self.rng(teardown, 0, 2)
        ecn_mode = ["passive", "on", "off", "on"][(features >> 3) & 3]
        peer_ecn = offer.get("ecn", False)
        self.ecn = peer_ecn and (ecn_mode == "on" if active else ecn_mode != "off")
        self.add_history(1 if active else 2)

    # ---- FuzzedDataProvider encoding.
    def rng(self, value, lo, hi):
        span, x, n = hi - lo, value - lo, 0
        assert 0 <= x <= span, (value, lo, hi)
        while n < 8 and span >> (8 * n) > 0:
            n += 1
        self.out += [(x >> (8 * i)) & 0xFF for i in reversed(range(n))]

    def u(self, value, size):
        self.rng(value, 0, (1 << (8 * size)) - 1)

    def flag(self, b):
        self.u(1 if b else 0, 1)

    def encode(self):
        return bytes(reversed(self.out))

    def add_history(self, n=1):
        self.history = min(16, self.history + n)

    # ---- Setup.
    def offer(self, o):
        f = (0 if o.get("mss", True) else 1) | (0 if o.get("ws", True) else 2)
        f |= (0 if o.get("sack", True) else 4) | (0 if o.get("ts", True) else 8)
        f |= 16 if o.get("ecn", False) else 0
        self.u(f, 1)
        if not f & 1:
            self.u(o.get("mss_value", 1460), 2)
        if not f & 2:
            self.rng((o.get("shift", 7) - 7) % 16, 0, 15)
        self.u(65535 - o.get("window", 65535), 2)

    # ---- Operations.
    def op(self, name):
        self.u(OPS[name], 1)

    def data(self, length=MSS, mode=0, gap=0, fin=False, ce=False):
        self.op("data")
        self.rng(mode, 0, 3)
        self.rng(length, 1, MSS)
        if mode == 1:
            self.rng(gap, 1, 8192)
        assert mode != 3, "mode 3 depends on how much was sent"
        self.flag(fin)
        self.flag(False)
        if self.ecn:
            self.flag(ce)
        self.add_history()

    def ack(self, mode=0, k=0, window=None, sacks=(), ece=False):
        """mode 0: everything, 1: k segments past SND.UNA, 2: duplicate. sacks: (start, len)
        pairs in segments past the ACK."""
        self.op("ack")
        self.rng(mode, 0, 2)
        if mode == 1:
            self.rng(k, 0, 16)
        if window is None:
            self.rng(0, 0, 3)
        elif window < 256:
            self.rng(2, 0, 3)
            self.u(window, 1)
        else:
            self.rng(3, 0, 3)
            self.u(window, 2)
        self.rng(len(sacks), 0, 3)
        for start, length in sacks:
            self.rng(start, 0, 16)
            self.rng(length, 1, 8)
        if self.ecn:
            self.flag(ece)
        self.add_history()

    def zero_window(self, mode=0):
        self.op("ack")
        self.rng(mode, 0, 2)
        self.rng(1, 0, 3)
        self.rng(0, 0, 3)
        if self.ecn:
            self.flag(False)
        self.add_history()

    def fin(self):
        self.op("fin")
        self.add_history()

    def segment(self, seq_base=0, seq_off=0, ack_base=0, ack_off=0, flags=ACK, raw=False,
                window=65535, length=0, tsval=None, tos=0):
        self.op("segment")
        self.rng(seq_base, 0, 4)
        self.rng(seq_off, -4096, 4096)
        self.rng(ack_base, 0, 3)
        self.rng(ack_off, -4096, 4096)
        self.u(flags, 1)
        self.flag(raw)
        self.u(window, 2)
        self.rng(length, 0, 1900)
        if tsval is None:
            self.u(0, 1)  # options: keep the sane timestamps
        else:
            self.u(2 | 4, 1)  # timestamps with this TSval (and TSecr 0)
            self.u(tsval, 4)
            self.u(0, 4)
        self.rng(tos, 0, 3)
        self.rng(15, 0, 15)  # undamaged
        self.add_history()

    def replay(self, index):
        self.op("replay")
        if self.history > 1:
            self.rng(index, 0, self.history - 1)
        self.add_history()

    def advance(self, code):
        """code: 0-63 -> code+1 ms, 64-127 -> (code-63)*25 ms, 128-191 -> code-127 s,
        192-249 -> (code-191) min, 250+ -> 7300 s."""
        self.op("advance")
        self.u(code, 1)

    def write(self, n):
        self.op("write")
        self.rng(n, 1, 70000)

    def read(self, n=70000, mode=0, keep=False):
        """mode 0: Recv, 1: Peek, 2: RecvChunks of 1 + n % 16 chunks (kept lent if keep)."""
        self.op("read")
        self.rng(mode, 0, 2)
        self.rng(n, 1, 70000)
        self.flag(keep)

    def shutdown(self, how):
        self.op("shutdown")
        self.rng(how, 0, 2)

    def setopt(self, which, on, *args):
        self.op("setopt")
        self.rng(which, 0, 7)
        self.flag(on)
        if which == 2:
            idle, intvl, cnt = args
            self.rng(idle, 1, 120)
            self.rng(intvl, 1, 30)
            self.rng(cnt, 1, 5)
        elif which == 3:
            self.rng(args[0], 0, 30000)
        elif which == 4:
            self.rng(args[0], 0, 1)

    def close(self):
        self.op("close")

    def abort(self):
        self.op("abort")


def bulk_send():
    s = Seed()
    for _ in range(4):
        s.write(30000)
        s.ack()
        s.advance(10)
    s.ack()
    s.close()
    return s


def receive_in_order():
    s = Seed(active=True)
    for _ in range(8):
        s.data()
    s.advance(45)  # the delayed ACK fires
    s.read(mode=1)
    s.read(15, mode=2, keep=True)  # 16 chunks, still lent when the connection is gone
    s.read()
    s.fin()
    s.read()
    s.read()
    s.close()
    return s


def out_of_order():
    s = Seed()
    s.data()
    s.data(mode=1, gap=MSS)
    s.data(mode=1, gap=MSS)
    s.data(mode=2)
    s.data(mode=2)
    s.data(mode=2)
    s.read(mode=1)
    s.read(3, mode=2, keep=True)  # 4 chunks, lent until the next read
    s.data()
    s.read()
    s.close()
    return s


def sack_recovery():
    s = Seed(bufs=(1, 0))
    s.write(60000)
    s.ack(mode=1, k=1)
    s.ack(mode=2, sacks=[(1, 1)])
    s.ack(mode=2, sacks=[(1, 2)])
    s.ack(mode=2, sacks=[(1, 3)])
    s.ack(mode=2, sacks=[(1, 4)])
    s.ack()
    s.advance(20)
    s.ack()
    return s


def newreno_recovery():
    s = Seed(features=4 | 0x20, offer={"sack": False})  # no SACK, NewReno
    s.write(40000)
    s.ack(mode=1, k=2)
    for _ in range(4):
        s.ack(mode=2)
    s.ack(mode=1, k=4)
    s.ack()
    return s


def retransmission_timeout():
    s = Seed()
    s.write(20000)
    s.advance(129)  # 2 s: the first RTO
    s.advance(130)
    s.ack(mode=1, k=1)
    s.advance(131)
    s.ack()
    return s


def zero_window_persist():
    s = Seed(bufs=(2, 0))
    s.write(16384)
    s.zero_window()
    s.advance(130)
    s.advance(135)
    s.ack(window=640)
    s.advance(131)
    s.ack(window=65535)
    return s


def keepalive():
    s = Seed()
    s.setopt(2, True, 2, 1, 3)
    s.advance(133)
    s.segment()  # an answer
    s.advance(140)
    return s


def closing_states():
    s = Seed(active=True)
    s.write(3000)
    s.shutdown(1)
    s.fin()  # simultaneous close: CLOSING
    s.ack()
    s.advance(200)
    return s


def close_wait_last_ack():
    s = Seed()
    s.data(length=100, fin=True)
    s.read()
    s.read()
    s.write(5000)
    s.shutdown(1)
    s.ack()
    return s


def ecn():
    s = Seed(active=True, features=1 << 3, offer={"ecn": True})
    s.write(20000)
    s.data(ce=True)
    s.data()
    s.ack(mode=1, k=2, ece=True)
    s.ack()
    s.read()
    return s


def no_options():
    s = Seed(features=7, offer={"mss": False, "ws": False, "sack": False, "ts": False,
                                "window": 8192})
    s.write(20000)
    s.data(length=536)
    s.ack(mode=1, k=3)
    s.read()
    s.ack()
    return s


def small_mss_huge_shift():
    s = Seed(offer={"mss_value": 64, "shift": 14, "window": 3})
    s.write(5000)
    s.ack(window=1)
    s.ack()
    s.data(length=64)
    s.read()
    return s


def resets_and_replays():
    s = Seed()
    s.data()
    s.segment(seq_base=1, seq_off=5, flags=0x04, raw=True)  # in-window RST: challenge ACK
    s.replay(0)  # the SYN again: challenge ACK
    s.replay(2)
    s.segment(seq_base=1, flags=0x04, raw=True)  # exact RST
    s.read()
    return s


SEEDS = {
    "bulk_send": bulk_send,
    "receive_in_order": receive_in_order,
    "out_of_order": out_of_order,
    "sack_recovery": sack_recovery,
    "newreno_recovery": newreno_recovery,
    "retransmission_timeout": retransmission_timeout,
    "zero_window_persist": zero_window_persist,
    "keepalive": keepalive,
    "closing_states": closing_states,
    "close_wait_last_ack": close_wait_last_ack,
    "ecn": ecn,
    "no_options": no_options,
    "small_mss_huge_shift": small_mss_huge_shift,
    "resets_and_replays": resets_and_replays,
}

# Reproducers of bugs the fuzzer found (fuzz/crashes-found/, see README.md there).

def persist_stopped_by_window_update():
    # SWS avoidance holds the rest of the data behind a 640-byte window and the persist timer
    # runs; a duplicate ACK repeating the same window stops it and nothing re-arms it.
    # (Without SACK, so that no tail loss probe runs at the zero RTT of the harness.)
    s = Seed(features=4, offer={"sack": False})
    s.write(20000)
    s.ack(window=5)  # everything acknowledged; 5 << 7 = 640 bytes of window
    s.ack(window=5)
    return s


def paws_drop_sacked():
    # A segment above RCV.NXT with an old TSval is dropped by PAWS, but the next ACK reports
    # its range in a SACK block as if it were held.
    s = Seed()
    s.segment(seq_off=3000, length=100, tsval=5)
    return s


def fin_leaves_ooo_data_sacked():
    # Data after a one-byte hole is queued out of order; a FIN arrives at the hole, in order.
    # The queue keeps the data beyond the FIN and every later ACK still SACKs it, with its
    # left edge at the cumulative ACK.
    s = Seed()
    s.data(length=40, mode=1, gap=1)
    s.segment(seq_base=2, flags=FIN)  # at stream offset 0 (where the application reads)
    return s


def fin_drains_ooo_data_beyond_it():
    # Data [0, 218) in order, [555, 747) out of order; then [218, 611) with a FIN at 611
    # fills the hole. The reassembly queue is drained past the FIN: RCV.NXT ends at 748 and
    # the FIN is taken at offset 747, where the peer never sent one.
    s = Seed()
    s.data(length=218)
    s.data(length=192, mode=1, gap=337)
    s.data(length=393, mode=2, fin=True)
    return s


REPRODUCERS = {
    "fin_drains_ooo_data_beyond_it": fin_drains_ooo_data_beyond_it,
    "fin_leaves_ooo_data_sacked": fin_leaves_ooo_data_sacked,
    "persist_stopped_by_window_update": persist_stopped_by_window_update,
    "paws_drop_sacked": paws_drop_sacked,
}


def write_all(directory, makers):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), directory)
    os.makedirs(out, exist_ok=True)
    for name, make in makers.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(make().encode())
    print(f"wrote {len(makers)} inputs to {out}")


if __name__ == "__main__":
    write_all("tcp_seeds", SEEDS)
    write_all("crashes-found", REPRODUCERS)
