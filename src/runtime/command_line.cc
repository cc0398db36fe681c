// Command-line parsing for ustack apps, see command_line.h.
#include "runtime/command_line.h"

#include <charconv>

namespace ustack {

bool CommandLine::Parse(int argc, const char* const* argv, std::span<const OptionSpec> options,
                        std::string* error) {
  program_ = argc > 0 ? argv[0] : "ustack";
  values_.clear();
  for (const OptionSpec& o : options) values_[std::string(o.name)] = std::string(o.default_value);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      return true;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      *error = "unexpected argument '" + std::string(arg) + "'";
      return false;
    }
    std::string_view name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name != "conf" && values_.find(name) == values_.end()) {
      *error = "unknown option '--" + std::string(name) + "'";
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        *error = "option '--" + std::string(name) + "' needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (name == "conf") {
      conf_ = value;
    } else {
      values_[std::string(name)] = value;
    }
  }
  if (conf_.empty()) {
    *error = "missing --conf FILE";
    return false;
  }
  return true;
}

std::string CommandLine::Get(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
}

bool CommandLine::GetUint(std::string_view name, uint64_t lo, uint64_t hi, uint64_t* out,
                          std::string* error) const {
  const std::string v = Get(name);
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
    *error = "--" + std::string(name) + " must be a number in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "], got '" + v + "'";
    return false;
  }
  *out = n;
  return true;
}

std::string CommandLine::Usage(std::string_view program, std::span<const OptionSpec> options) {
  std::string u = "usage: " + std::string(program) + " --conf FILE";
  for (const OptionSpec& o : options) u += " [--" + std::string(o.name) + " VALUE]";
  u += "\n  --conf FILE  config.ini to load (sections [dpdk], [port0], [pcap], [tcp])\n";
  for (const OptionSpec& o : options) {
    u += "  --" + std::string(o.name) + "  " + std::string(o.help) + " (default " +
         std::string(o.default_value) + ")\n";
  }
  return u;
}

}  // namespace ustack
