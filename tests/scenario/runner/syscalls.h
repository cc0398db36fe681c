// Socket calls of a scenario script, made through the Backend (SocketApi or the plugin). Script
// file descriptors are mapped to the stack's (the script's `socket(...) = 3` binds script fd 3 to
// whatever the stack returned). Sockets are blocking unless made non-blocking (SOCK_NONBLOCK, fcntl
// O_NONBLOCK), as on Linux: a call that would block is reported so that the runner can retry
// it as virtual time moves, which is how blocking calls are emulated over a non-blocking API.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backend.h"
#include "packet.h"
#include "script.h"

namespace ustack::scenario {

struct CallOutcome {
  int64_t ret = 0;                 // >= 0, or -errno
  int64_t out_value = 0;           // getsockopt's value
  std::vector<uint8_t> out_bytes;  // getsockopt's value when it is a struct or a string
  std::string revents_mismatch;    // poll: differences from the expected revents
};

class Syscalls {
 public:
  Syscalls(Backend& b, FlowState& flow) : b_(b), flow_(flow) {}

  // Makes (first = true) or retries the call. nullopt: it would block (the runner retries
  // later). Throws std::runtime_error for a call the runner does not support.
  std::optional<CallOutcome> Attempt(const SyscallSpec& c, bool first, int64_t waited_usecs);
  // Compares the outcome with the expected result; maps new fds. "" when it matches.
  std::string Check(const SyscallSpec& c, const CallOutcome& o);

 private:
  int Live(const Expr& fd) const;
  bool Blocking(const Expr& fd) const;
  std::optional<CallOutcome> Connect(const SyscallSpec& c, bool first);
  std::optional<CallOutcome> Transfer(const SyscallSpec& c, bool write, bool first);
  std::optional<CallOutcome> Poll(const SyscallSpec& c, int64_t waited_usecs);
  CallOutcome SockOpt(const SyscallSpec& c, bool set);
  CallOutcome Fcntl(const SyscallSpec& c);

  Backend& b_;
  FlowState& flow_;
  std::map<int64_t, int> fds_;     // script fd -> stack fd
  std::set<int64_t> nonblocking_;  // script fds
  int64_t progress_ = 0;           // bytes moved so far by a blocking write/read
};

}  // namespace ustack::scenario
