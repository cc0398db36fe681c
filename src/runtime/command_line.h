// The command line shared by ustack apps: `--conf FILE` (required), `--help`, and options
// the app declares, each `--name VALUE` or `--name=VALUE` with a default. Parsing is pure
// (no I/O) so that it can be unit tested; apps print Usage() and the error themselves.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace ustack {

struct OptionSpec {
  std::string_view name;           // without the leading "--"
  std::string_view default_value;  // used when the option is absent
  std::string_view help;
};

class CommandLine {
 public:
  // Returns false and sets *error on an unknown option, a missing value or a missing --conf.
  // `--help` succeeds with help() true and nothing else checked.
  bool Parse(int argc, const char* const* argv, std::span<const OptionSpec> options,
             std::string* error);

  const std::string& program() const { return program_; }
  const std::string& conf() const { return conf_; }
  bool help() const { return help_; }
  // The value of a declared option (its default when absent).
  std::string Get(std::string_view name) const;
  // The value as an integer in [lo, hi]; false and *error set otherwise.
  bool GetUint(std::string_view name, uint64_t lo, uint64_t hi, uint64_t* out,
               std::string* error) const;

  static std::string Usage(std::string_view program, std::span<const OptionSpec> options);

 private:
  std::string program_;
  std::string conf_;
  bool help_ = false;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace ustack
