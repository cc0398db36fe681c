// ustack-get: a small HTTP/1.1 client on ustack, for interop tests and demos.
//   ustack-get --conf FILE [--post FILE] [--timeout SECONDS] http://ADDR[:PORT]/PATH
// Writes the response body to stdout; on any failure prints one line to stderr and exits
// non-zero (see GetExit: 3 connect, 4 HTTP status, 5 bad/truncated response, 6 timeout...).
// The stack's counters go to stderr when it stops, as with every ustack app.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "get/get_client.h"
#include "get/options.h"
#include "runtime/config.h"
#include "runtime/runtime.h"

namespace {

using ustack::get::GetExit;

// After the outcome, the loop runs this long so that our FIN and last ACKs leave.
constexpr ustack::Duration kLinger = ustack::Duration::Millis(200);

int Exit(GetExit e) { return static_cast<int>(e); }

bool WriteAll(int fd, std::span<const uint8_t> data) {
  while (!data.empty()) {
    const ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data = data.subspan(static_cast<size_t>(w));
  }
  return true;
}

bool ReadFile(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = "cannot read " + path;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ustack::get::GetOptions opt;
  std::string error;
  if (!ustack::get::ParseGetOptions(argc, argv, &opt, &error) || opt.help) {
    if (!opt.help) std::fprintf(stderr, "ustack-get: %s\n", error.c_str());
    std::fputs(ustack::get::GetUsage().c_str(), stderr);
    return opt.help ? 0 : Exit(GetExit::kUsage);
  }
  auto url = ustack::get::ParseHttpUrl(opt.url, &error);
  if (!url) {
    std::fprintf(stderr, "ustack-get: %s\n", error.c_str());
    return Exit(GetExit::kUsage);
  }
  std::vector<uint8_t> body;
  if (!opt.post_file.empty() && !ReadFile(opt.post_file, &body, &error)) {
    std::fprintf(stderr, "ustack-get: %s\n", error.c_str());
    return Exit(GetExit::kSetup);
  }
  ustack::ConfigResult cfg = ustack::LoadConfig(opt.conf);
  if (!cfg.ok()) {
    std::fprintf(stderr, "ustack-get: %s\n", cfg.error.c_str());
    return Exit(GetExit::kSetup);
  }
  auto rt = ustack::Runtime::Create(*cfg.config, argv[0], &error);
  if (!rt) {
    std::fprintf(stderr, "ustack-get: %s\n", error.c_str());
    return Exit(GetExit::kSetup);
  }
  ustack::get::ResponseHandler handler(
      [](std::span<const uint8_t> data) { return WriteAll(STDOUT_FILENO, data); });
  std::optional<uint64_t> post_length;
  if (!opt.post_file.empty()) post_length = body.size();
  ustack::get::GetClient client(rt->sockets(), *url,
                                ustack::get::BuildRequestHead(*url, post_length), body, handler);
  const ustack::Instant start = ustack::Stack::Now();
  std::optional<ustack::Instant> finished;
  if (!client.Start(start, ustack::Duration::Seconds(static_cast<int64_t>(opt.timeout_s)))) {
    finished = start;
  }
  rt->Run([&] {
    const ustack::Instant now = rt->sockets().now();
    if (!finished && client.Poll(now)) finished = now;
    if (finished && now - *finished >= kLinger) ustack::Runtime::RequestStop();
  });
  if (!client.done()) {
    std::fprintf(stderr, "ustack-get: interrupted\n");
    return 130;
  }
  const ustack::get::GetResult& r = client.result();
  if (r.exit != GetExit::kOk) {
    std::fprintf(stderr, "ustack-get: %s: %s\n", url->ToString().c_str(), r.message.c_str());
  } else {
    const double secs = static_cast<double>((*finished - start).nanos()) / 1e9;
    std::fprintf(stderr, "ustack-get: %s: HTTP %d, %llu body bytes in %.3f s\n",
                 url->ToString().c_str(), r.status, static_cast<unsigned long long>(r.body_bytes),
                 secs);
  }
  return Exit(r.exit);
}
