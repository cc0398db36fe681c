#!/usr/bin/python3
"""Writes the seed corpus for frame_input_fuzz: frame sequences, each frame prefixed by its
16-bit big-endian length. Run with Debian's python3 (scapy): /usr/bin/python3 make_seeds.py"""
import os
import struct

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, fragment

US_MAC, US_IP = "02:00:00:00:00:02", "198.18.0.2"
PEER_MAC, PEER_IP = "02:00:00:00:00:01", "198.18.0.1"


def eth(p):
    return Ether(src=PEER_MAC, dst=US_MAC) / p


def seq(*frames):
    return b"".join(struct.pack(">H", len(bytes(f))) + bytes(f) for f in frames)


seeds = {
    "arp_request": seq(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
                       ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=US_IP)),
    "icmp_echo": seq(eth(IP(src=PEER_IP, dst=US_IP) / ICMP(id=1, seq=1) / Raw(b"x" * 56))),
    "udp_echo": seq(eth(IP(src=PEER_IP, dst=US_IP) / UDP(sport=5000, dport=7) / Raw(b"hi"))),
    "udp_closed": seq(eth(IP(src=PEER_IP, dst=US_IP) / UDP(sport=5000, dport=9) / Raw(b"x"))),
    "tcp_syn": seq(eth(IP(src=PEER_IP, dst=US_IP) /
                       TCP(sport=40000, dport=80, flags="S", seq=1000,
                           options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                                    ("NOP", None), ("WScale", 7)]))),
    "tcp_session": seq(
        eth(IP(src=PEER_IP, dst=US_IP) / TCP(sport=40001, dport=80, flags="S", seq=5000)),
        eth(IP(src=PEER_IP, dst=US_IP) / TCP(sport=40001, dport=80, flags="A", seq=5001, ack=1)),
        eth(IP(src=PEER_IP, dst=US_IP) / TCP(sport=40001, dport=80, flags="PA", seq=5001,
                                             ack=1) / Raw(b"GET / HTTP/1.1\r\n\r\n")),
        eth(IP(src=PEER_IP, dst=US_IP) / TCP(sport=40001, dport=80, flags="FA", seq=5019,
                                             ack=1))),
    "tcp_rst": seq(eth(IP(src=PEER_IP, dst=US_IP) / TCP(sport=40002, dport=80, flags="R"))),
    "ip_fragments": seq(*[eth(f) for f in fragment(
        IP(src=PEER_IP, dst=US_IP) / UDP(sport=1, dport=7) / Raw(b"f" * 3000), fragsize=1000)]),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}")
