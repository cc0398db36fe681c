// Stack settings from key=value words, see stack_flags.h.
#include "packetdrill/stack_flags.h"

#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

namespace ustack::pd {
namespace {

bool ParseU64(const std::string& s, uint64_t max, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (*end != '\0' || v > max) return false;
  *out = v;
  return true;
}

using Setter = std::function<bool(const std::string&, HarnessConfig*)>;

Setter Addr(Ipv4Addr HarnessConfig::*field) {
  return [field](const std::string& v, HarnessConfig* c) {
    auto a = Ipv4Addr::Parse(v);
    if (!a) return false;
    c->*field = *a;
    return true;
  };
}

template <typename T>
Setter Num(T TcpConfig::*field, uint64_t max) {
  return [field, max](const std::string& v, HarnessConfig* c) {
    uint64_t n = 0;
    if (!ParseU64(v, max, &n)) return false;
    c->tcp.*field = static_cast<T>(n);
    return true;
  };
}

Setter Bool(bool TcpConfig::*field) {
  return [field](const std::string& v, HarnessConfig* c) {
    if (v != "0" && v != "1") return false;
    c->tcp.*field = v == "1";
    return true;
  };
}

Setter Millis(Duration TcpConfig::*field) {
  return [field](const std::string& v, HarnessConfig* c) {
    uint64_t n = 0;
    if (!ParseU64(v, 86400000, &n)) return false;
    c->tcp.*field = Duration::Millis(static_cast<int64_t>(n));
    return true;
  };
}

const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> k = {
      {"local_ip", Addr(&HarnessConfig::local_ip)},
      {"gateway_ip", Addr(&HarnessConfig::gateway)},
      {"netmask_ip", Addr(&HarnessConfig::netmask)},
      {"local_ip6", [](const std::string&, HarnessConfig*) { return true; }},
      {"mtu",
       [](const std::string& v, HarnessConfig* c) {
         uint64_t n = 0;
         if (!ParseU64(v, 9000, &n) || n < 576) return false;
         c->mtu = static_cast<uint16_t>(n);
         return true;
       }},
      {"seed",
       [](const std::string& v, HarnessConfig* c) {
         uint64_t n = 0;
         if (!ParseU64(v, UINT64_MAX, &n) || n == 0) return false;
         c->seed = n;
         return true;
       }},
      {"tcp.send_buffer", Num(&TcpConfig::send_buffer, 1u << 30)},
      {"tcp.receive_buffer", Num(&TcpConfig::receive_buffer, 1u << 30)},
      {"tcp.send_buffer_max", Num(&TcpConfig::send_buffer_max, 1u << 30)},
      {"tcp.receive_buffer_max", Num(&TcpConfig::receive_buffer_max, 1u << 30)},
      {"tcp.rto_initial_ms", Millis(&TcpConfig::rto_initial)},
      {"tcp.rto_min_ms", Millis(&TcpConfig::rto_min)},
      {"tcp.rto_max_ms", Millis(&TcpConfig::rto_max)},
      {"tcp.time_wait_ms", Millis(&TcpConfig::time_wait)},
      {"tcp.delayed_ack_ms", Millis(&TcpConfig::delayed_ack)},
      {"tcp.syn_retries", Num(&TcpConfig::syn_retries, 255)},
      {"tcp.max_retries", Num(&TcpConfig::max_retries, 255)},
      {"tcp.ephemeral_lo", Num(&TcpConfig::ephemeral_lo, 65535)},
      {"tcp.ephemeral_hi", Num(&TcpConfig::ephemeral_hi, 65535)},
      {"tcp.window_scaling", Bool(&TcpConfig::window_scaling)},
      {"tcp.timestamps", Bool(&TcpConfig::timestamps)},
      {"tcp.sack", Bool(&TcpConfig::sack)},
      {"tcp.syn_cookies", Bool(&TcpConfig::syn_cookies)},
      {"tcp.tlp", Bool(&TcpConfig::tail_loss_probe)},
      {"tcp.rack", Bool(&TcpConfig::rack)},
      {"tcp.challenge_ack_limit", Num(&TcpConfig::challenge_ack_limit, 1u << 30)},
      {"tcp.ecn",
       [](const std::string& v, HarnessConfig* c) {
         static const std::map<std::string, TcpEcnMode> kModes = {
             {"0", TcpEcnMode::kOff}, {"1", TcpEcnMode::kOn}, {"2", TcpEcnMode::kPassive}};
         auto it = kModes.find(v);
         if (it == kModes.end()) return false;
         c->tcp.ecn = it->second;
         return true;
       }},
      {"tcp.cc",
       [](const std::string& v, HarnessConfig* c) {
         if (v == "newreno" || v == "reno") {
           c->tcp.congestion = TcpCongestionAlgo::kNewReno;
         } else if (v == "cubic") {
           c->tcp.congestion = TcpCongestionAlgo::kCubic;
         } else {
           return false;
         }
         return true;
       }},
  };
  return k;
}

}  // namespace

bool ApplyStackFlag(const std::string& key, const std::string& value, HarnessConfig* cfg,
                    std::string* error) {
  auto it = Setters().find(key);
  if (it == Setters().end()) {
    *error = "unknown stack flag '" + key + "'";
    return false;
  }
  HarnessConfig copy = *cfg;
  if (!it->second(value, &copy)) {
    *error = "bad value '" + value + "' for stack flag '" + key + "'";
    return false;
  }
  *cfg = copy;
  return true;
}

bool ApplyStackFlags(const std::string& flags, HarnessConfig* cfg, std::string* error) {
  std::istringstream in(flags);
  std::string word;
  bool ok = true;
  error->clear();
  while (in >> word) {
    const size_t eq = word.find('=');
    std::string msg;
    if (eq == std::string::npos) {
      msg = "stack flag '" + word + "' is not key=value";
    } else if (ApplyStackFlag(word.substr(0, eq), word.substr(eq + 1), cfg, &msg)) {
      continue;
    }
    *error += msg + "\n";
    ok = false;
  }
  return ok;
}

}  // namespace ustack::pd
