// The process-wide state of the F-Stack-compatible C API (include/ustack/fstack/ff_api.h).
// The C API is global by nature: every ff_* call names no context. All of its state lives in
// one CapiContext, created by ff_init and destroyed when ff_run returns; ff_* calls reach it
// through CapiContext::Enter, which refuses calls before ff_init (ENXIO) and from a thread
// other than the one that called ff_init (EPERM), so that no call can touch the single-
// threaded stack concurrently.
#pragma once

#include <pthread.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "socket/kqueue.h"
#include "socket/socket_api.h"
#include "ustack/fstack/ff_config.h"

namespace ustack::capi {

// The command line ff_init understands (see ff_config.h). Pure, unit tested.
struct FfArgs {
  std::string conf;
  ff_proc_type proc_type = FF_PROC_PRIMARY;
  int proc_id = 0;
};
bool ParseFfArgs(int argc, const char* const* argv, FfArgs* out, std::string* error);

class CapiContext {
 public:
  // Creates the context and starts the Runtime; false with *error set on failure.
  static bool Init(int argc, const char* const* argv, std::string* error);
  // The SocketApi when the calling thread may use it, else nullptr with *err = ENXIO / EPERM.
  static SocketApi* Enter(int* err);
  // Runs the loop until a stop; then destroys the context (the stack and the EAL stop).
  static void Run(int (*loop)(void*), void* arg);
  static void Stop();
  static const ff_config* Config();

  // Scratch space for ff_kevent's translation between struct kevent and KEvent.
  std::vector<KEvent>& changes() { return changes_; }
  std::vector<KEvent>& events() { return events_; }
  // Scratch space for ff_zc_recv's translation between struct ff_zc_iov and ZcIov.
  std::vector<ZcIov>& zc_iovs() { return zc_iovs_; }

  static CapiContext* Current();

 private:
  CapiContext() = default;
  bool PollOnce();

  FfArgs args_;
  ff_config public_config_{};
  pthread_t owner_{};
  std::unique_ptr<Runtime> runtime_;
  std::vector<KEvent> changes_;
  std::vector<KEvent> events_;
  std::vector<ZcIov> zc_iovs_;
};

}  // namespace ustack::capi
