// ustack-get's command line: `--conf FILE [--post FILE] [--timeout SECONDS] URL`. The one
// positional argument (the URL) is taken out, the options go to the shared CommandLine.
// Pure, so that it can be unit tested.
#pragma once

#include <cstdint>
#include <string>

namespace ustack::get {

struct GetOptions {
  std::string conf;
  std::string post_file;  // empty: GET
  uint64_t timeout_s = 120;
  std::string url;
  bool help = false;
};

// False with *error set on a bad or missing argument; `--help` succeeds with help set.
bool ParseGetOptions(int argc, const char* const* argv, GetOptions* out, std::string* error);
std::string GetUsage();

}  // namespace ustack::get
