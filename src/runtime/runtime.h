// Runtime: one ustack process on one core. From a loaded config it starts the EAL, creates
// the mbuf pool, opens the DPDK port (behind an ImpairedPort when [impair] enable=1, then in
// a pcapng writer when [pcap] enable=1, so a capture shows what the stack saw and sent),
// builds the Stack and its SocketApi, and runs the poll loop until SIGINT or SIGTERM.
// Ownership: the Runtime owns all of these and tears them down in reverse order (sockets,
// stack with its port, pool, then the EAL). Only one Runtime may exist per process, because
// the EAL can be started only once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "buf/packet.h"
#include "port/impaired_port.h"
#include "runtime/config.h"
#include "socket/socket_api.h"
#include "stack/stack.h"

namespace ustack {

class Runtime {
 public:
  static constexpr unsigned kPoolMbufs = 8191;

  // Starts everything `cfg` describes. On failure returns nullptr with *error set; the EAL
  // may then have been started, and the process should exit.
  static std::unique_ptr<Runtime> Create(const UstackConfig& cfg, const std::string& program,
                                         std::string* error);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The poll loop: each iteration reads the clock once, gives it to the sockets, polls the
  // stack and then calls on_iteration (where the application calls EpollWait, Read, Write...).
  // With [runtime] poll_mode=adaptive (the default) it sleeps between iterations once no frame
  // has moved for idle_after_us (see IdlePolicy), never past the stack's next timer; timers of
  // the application itself (e.g. coroutine sleeps) may then run up to idle_max_sleep_us late.
  // Returns 0 after SIGINT/SIGTERM (or RequestStop), once the counters are printed to stderr.
  int Run(const std::function<void()>& on_iteration);

  // Asks Run to return after the current iteration. Async-signal-safe.
  static void RequestStop();

  Stack& stack() { return *stack_; }
  SocketApi& sockets() { return *sockets_; }
  const UstackConfig& config() const { return cfg_; }
  // Where the capture goes when [pcap] enable=1, else empty.
  const std::string& capture_path() const { return capture_path_; }

 private:
  explicit Runtime(const UstackConfig& cfg) : cfg_(cfg) {}
  bool Start(const std::string& program, std::string* error);
  // Before the loop sleeps: one more poll, which sends what the application wrote in its
  // last iteration. Returns whether it moved any frame (then the loop must not sleep).
  bool FlushMovedFrames(Instant now, uint64_t* tx_seen);
  // Puts `port` behind an ImpairedPort as [impair] says and remembers it in impaired_.
  std::unique_ptr<Port> WrapImpaired(std::unique_ptr<Port> port);
  // When the loop must poll again: the stack's timers or a frame the impairment holds.
  Instant NextDeadline() const;

  UstackConfig cfg_;
  bool eal_started_ = false;
  std::string capture_path_;
  std::unique_ptr<PacketPool> pool_;
  std::unique_ptr<Stack> stack_;
  ImpairedPort* impaired_ = nullptr;  // inside stack_'s port chain when [impair] enable=1
  std::unique_ptr<SocketApi> sockets_;
};

}  // namespace ustack
