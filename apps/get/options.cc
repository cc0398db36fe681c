// ustack-get's command line, see options.h.
#include "get/options.h"

#include <array>
#include <string_view>
#include <vector>

#include "runtime/command_line.h"

namespace ustack::get {
namespace {

constexpr std::array<OptionSpec, 2> kOptions = {
    OptionSpec{"post", "", "send FILE as the body of a POST instead of a GET"},
    OptionSpec{"timeout", "120", "seconds the whole transfer may take"},
};

}  // namespace

bool ParseGetOptions(int argc, const char* const* argv, GetOptions* out, std::string* error) {
  std::vector<const char*> rest;
  rest.push_back(argc > 0 ? argv[0] : "ustack-get");
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("-")) {
      rest.push_back(argv[i]);
      // `--name VALUE`: the next argument is the value, not the URL.
      const bool takes_value =
          arg.starts_with("--") && arg.find('=') == std::string_view::npos && arg != "--help";
      if (takes_value && i + 1 < argc) rest.push_back(argv[++i]);
      continue;
    }
    if (!out->url.empty()) {
      *error = "more than one URL ('" + out->url + "' and '" + std::string(arg) + "')";
      return false;
    }
    out->url = std::string(arg);
  }
  CommandLine cl;
  if (!cl.Parse(static_cast<int>(rest.size()), rest.data(), kOptions, error)) return false;
  out->help = cl.help();
  if (out->help) return true;
  out->conf = cl.conf();
  out->post_file = cl.Get("post");
  if (!cl.GetUint("timeout", 1, 86400, &out->timeout_s, error)) return false;
  if (out->url.empty()) {
    *error = "missing URL (http://ADDR[:PORT]/PATH)";
    return false;
  }
  return true;
}

std::string GetUsage() {
  std::string u = CommandLine::Usage("ustack-get", kOptions);
  u.insert(u.find('\n'), " URL");
  u += "  URL  http://ADDR[:PORT]/PATH with an IPv4 address; the body goes to stdout\n"
       "exit: 0 ok, 1 setup, 2 usage or URL, 3 connect, 4 HTTP status not 2xx,\n"
       "      5 malformed/truncated/reset response, 6 timeout, 7 output\n";
  return u;
}

}  // namespace ustack::get
