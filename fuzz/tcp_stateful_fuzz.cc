// libFuzzer target: one TCP connection driven through its states by a sequence of operations.
// Each input builds a fresh stack behind a test port (manual clock, IPv4 in and out, one mbuf
// pool for the whole run) and opens a connection deterministically, passively or actively,
// with the options the input chooses (MSS, window scale, SACK-permitted, timestamps, ECN;
// the stack's buffer sizes, features and congestion control). Then, until the input runs
// out, it decodes operations: the fuzzer's peer injects segments built relative to the
// connection's state (in-order, out-of-order and duplicate data, ACKs with SACK blocks and
// windows, FINs, replays, or anything with mutated sequence numbers, flags, windows, options
// and damage), the clock advances so timers fire, and the application writes, reads, shuts
// down, closes, aborts and sets options. Every segment the stack sends and the connection's
// state after every step are checked against a model of both ends (tcp_fuzz_checks.h);
// payload bytes are a function of their sequence number (tcp_fuzz_model.h), so every byte
// delivered or sent is checked. At the end the peer acknowledges everything until all written
// data is delivered (a stalled connection fails), the connection is closed or aborted, the
// clock runs until it is gone (an hour at most), and no connection and no mbuf may remain.
// Files: tcp_fuzz_session.* (the session), tcp_fuzz_ops.cc (operations), tcp_fuzz_checks.*
// (invariants), tcp_fuzz_model.h (the model), tcp_fuzz_wire.* (segments), tcp_fuzz_net.*
// (the stack and its port); make_tcp_seeds.py writes the seeds and the bug reproducers.
// Replay an input with a trace: TCP_FUZZ_TRACE=1 build-fuzz/bin/tcp_stateful_fuzz FILE
#include <cstdio>
#include <cstdlib>

#include "buf/packet.h"
#include "buf/test_eal.h"
#include "tcp_fuzz_session.h"

// One pool for the whole run (a fresh one per input would cost more than most inputs).
static ustack::PacketPool* g_pool = nullptr;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!ustack::InitTestEal()) {
    std::fprintf(stderr, "tcp_stateful_fuzz: cannot start the DPDK EAL\n");
    std::abort();
  }
  g_pool = new ustack::PacketPool("tcp_fuzz_pool", 4095);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  ustack::fuzz::Session session(in, g_pool->get());
  session.Run();
  return 0;
}
