// CapiContext: start-up, the run loop and the thread guard of the C API, see capi_context.h.
// Besides the context pointer, the only global is the stop flag, because a signal handler
// can reach nothing else.
#include "capi/capi_context.h"

#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "runtime/config.h"

namespace ustack::capi {
namespace {

std::unique_ptr<CapiContext>& Slot() {
  static std::unique_ptr<CapiContext> ctx;  // the C API's one context (see file comment)
  return ctx;
}

volatile std::sig_atomic_t stop_flag = 0;

void OnStopSignal(int) {
  stop_flag = 1;
  Runtime::RequestStop();
}

void InstallStopHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool ParseInt(std::string_view s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Takes "--name=value" or "--name value" (advancing *i); false when argv[*i] is not --name.
bool OptionValue(int argc, const char* const* argv, int* i, std::string_view name,
                 std::string_view alias, std::string* value, bool* missing) {
  const std::string_view a = argv[*i];
  for (std::string_view n : {name, alias}) {
    if (n.empty()) continue;
    if (a == n) {
      if (*i + 1 >= argc) {
        *missing = true;
        return true;
      }
      *value = argv[++*i];
      return true;
    }
    if (a.size() > n.size() && a.substr(0, n.size()) == n && a[n.size()] == '=') {
      *value = std::string(a.substr(n.size() + 1));
      return true;
    }
  }
  return false;
}

}  // namespace

bool ParseFfArgs(int argc, const char* const* argv, FfArgs* out, std::string* error) {
  *out = FfArgs{};
  for (int i = 1; i < argc; ++i) {
    std::string v;
    bool missing = false;
    if (OptionValue(argc, argv, &i, "--conf", "-c", &v, &missing)) {
      if (missing) return *error = "--conf needs a file name", false;
      out->conf = v;
    } else if (OptionValue(argc, argv, &i, "--proc-type", "", &v, &missing)) {
      if (v == "primary") {
        out->proc_type = FF_PROC_PRIMARY;
      } else if (v == "secondary") {
        out->proc_type = FF_PROC_SECONDARY;
      } else if (v == "auto") {
        out->proc_type = FF_PROC_AUTO;
      } else {
        return *error = "--proc-type must be primary, secondary or auto", false;
      }
    } else if (OptionValue(argc, argv, &i, "--proc-id", "", &v, &missing)) {
      if (missing || !ParseInt(v, &out->proc_id)) {
        return *error = "--proc-id needs a number", false;
      }
    }  // anything else belongs to the application
  }
  if (out->conf.empty()) return *error = "no config file: pass --conf FILE", false;
  if (out->proc_type == FF_PROC_SECONDARY) {
    return *error = "--proc-type=secondary is not supported yet (one process per stack)", false;
  }
  if (out->proc_id != 0) {
    return *error = "--proc-id must be 0 (one process per stack today)", false;
  }
  return true;
}

CapiContext* CapiContext::Current() { return Slot().get(); }

bool CapiContext::Init(int argc, const char* const* argv, std::string* error) {
  if (Slot()) return *error = "ff_init was already called", false;
  std::unique_ptr<CapiContext> ctx(new CapiContext);
  if (!ParseFfArgs(argc, argv, &ctx->args_, error)) return false;
  ConfigResult cfg = LoadConfig(ctx->args_.conf);
  if (!cfg.ok()) return *error = cfg.error, false;
  const std::string program = argc > 0 && argv[0] ? argv[0] : "ustack-app";
  ctx->runtime_ = Runtime::Create(*cfg.config, program, error);
  if (!ctx->runtime_) return false;
  ctx->public_config_.filename = ctx->args_.conf.c_str();
  ctx->public_config_.proc_type = ctx->args_.proc_type;
  ctx->public_config_.proc_id = ctx->args_.proc_id;
  ctx->owner_ = pthread_self();
  CapiContext* raw = ctx.get();
  ctx->runtime_->sockets().set_poll_once([raw] { return raw->PollOnce(); });
  stop_flag = 0;
  Slot() = std::move(ctx);
  return true;
}

// One iteration of the loop on behalf of a blocking call, as Runtime::Run does it.
bool CapiContext::PollOnce() {
  if (stop_flag) return false;
  const Instant now = Stack::Now();
  runtime_->sockets().set_now(now);
  runtime_->stack().Poll(now);
  return stop_flag == 0;
}

SocketApi* CapiContext::Enter(int* err) {
  CapiContext* c = Current();
  if (!c) {
    *err = ENXIO;
    return nullptr;
  }
  if (!pthread_equal(pthread_self(), c->owner_)) {
    *err = EPERM;
    return nullptr;
  }
  return &c->runtime_->sockets();
}

void CapiContext::Run(int (*loop)(void*), void* arg) {
  CapiContext* c = Current();
  if (!c || !pthread_equal(pthread_self(), c->owner_)) {
    std::fprintf(stderr, "ff_run: %s\n",
                 c ? "called from another thread than ff_init" : "ff_init has not succeeded");
    return;
  }
  bool handlers = false;
  if (stop_flag == 0) {
    c->runtime_->Run([&] {
      // Runtime::Run installed its handlers; ours also end the blocking waits of ff_* calls.
      if (!handlers) InstallStopHandlers();
      handlers = true;
      if (loop && !stop_flag) loop(arg);
    });
  }
  Slot().reset();  // closes every socket, stops the stack and the EAL
}

void CapiContext::Stop() {
  stop_flag = 1;
  Runtime::RequestStop();
}

const ff_config* CapiContext::Config() {
  CapiContext* c = Current();
  return c ? &c->public_config_ : nullptr;
}

}  // namespace ustack::capi
