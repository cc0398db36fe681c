// Logging of the C API (ff_log.h). The log settings are process-wide like the API itself and
// usable before ff_init, so they live in one LogState object of their own. Not thread-safe
// beyond what stdio gives; like every ff_* call, meant for the stack's thread.
#include "ustack/fstack/ff_log.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr uint32_t kTypes = 32;

struct LogState {
  uint32_t global_level = FF_LOG_INFO;
  std::array<uint32_t, kTypes> type_level;
  FILE* stream = nullptr;  // nullptr: stderr
  FILE* opened = nullptr;  // a file ff_log_open_set opened (we close it)
  LogState() { type_level.fill(FF_LOG_DEBUG); }
};

LogState& State() {
  static LogState state;  // the C API's log settings (see file comment)
  return state;
}

}  // namespace

extern "C" {

int ff_vlog(uint32_t level, uint32_t logtype, const char* format, va_list ap) {
  LogState& s = State();
  if (!format || logtype >= kTypes || level == FF_LOG_DISABLE || level > FF_LOG_DEBUG) return -1;
  if (level > s.global_level || level > s.type_level[logtype]) return 0;
  return std::vfprintf(s.stream ? s.stream : stderr, format, ap);
}

int ff_log(uint32_t level, uint32_t logtype, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  const int n = ff_vlog(level, logtype, format, ap);
  va_end(ap);
  return n;
}

void ff_log_set_global_level(uint32_t level) {
  State().global_level = level > FF_LOG_DEBUG ? FF_LOG_DEBUG : level;
}

int ff_log_set_level(uint32_t logtype, uint32_t level) {
  if (logtype >= kTypes || level > FF_LOG_DEBUG) return -1;
  State().type_level[logtype] = level;
  return 0;
}

int ff_log_reset_stream(void* f) {
  State().stream = static_cast<FILE*>(f);
  return 0;
}

int ff_log_open_set(void) {
  const char* path = std::getenv("USTACK_LOG_FILE");
  if (!path || !*path) return 0;
  FILE* f = std::fopen(path, "a");
  if (!f) return -1;
  ff_log_close();
  State().opened = f;
  State().stream = f;
  return 0;
}

void ff_log_close(void) {
  LogState& s = State();
  if (s.opened) {
    if (s.stream == s.opened) s.stream = nullptr;
    std::fclose(s.opened);
    s.opened = nullptr;
  }
}

}  // extern "C"
