// config.ini parsing, see config.h. Each known key has one entry in kKeys with a setter that
// validates the value; everything the table does not name is an error.
#include "runtime/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "port/frame_size.h"

namespace ustack {
namespace {

constexpr std::string_view kWhitespace = " \t\r\f\v";

// 'v' with quotes. (Built by appending: GCC 12 at -O3 warns falsely about "'" + string.)
std::string Quoted(std::string_view v) {
  std::string s;
  s.reserve(v.size() + 2);
  s += '\'';
  s.append(v);
  s += '\'';
  return s;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kWhitespace);
  return s.substr(b, e - b + 1);
}

// Removes a `;` or `#` comment that starts anywhere on the line.
std::string_view StripComment(std::string_view s) {
  size_t c = s.find_first_of(";#");
  return c == std::string_view::npos ? s : s.substr(0, c);
}

bool ParseU64(std::string_view v, int base, uint64_t* out) {
  if (v.empty()) return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out, base);
  return ec == std::errc() && p == v.data() + v.size();
}

// Each setter returns an empty string on success, else the message.
std::string SetUint(std::string_view v, uint64_t lo, uint64_t hi, uint64_t* out) {
  uint64_t n = 0;
  if (!ParseU64(v, 10, &n)) return Quoted(v) + " is not a decimal number";
  if (n < lo || n > hi) {
    return "value " + std::string(v) + " is out of range [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]";
  }
  *out = n;
  return {};
}

template <typename T>
std::string SetNum(std::string_view v, uint64_t lo, uint64_t hi, T* out) {
  uint64_t n = 0;
  std::string err = SetUint(v, lo, hi, &n);
  if (err.empty()) *out = static_cast<T>(n);
  return err;
}

std::string SetBool(std::string_view v, bool* out) {
  if (v == "0" || v == "1") {
    *out = v == "1";
    return {};
  }
  return Quoted(v) + " is not 0 or 1";
}

std::string SetAddr(std::string_view v, Ipv4Addr* out) {
  auto a = Ipv4Addr::Parse(v);
  if (!a) return Quoted(v) + " is not an IPv4 address";
  *out = *a;
  return {};
}

std::string SetHexMask(std::string_view v, std::string* out) {
  std::string_view digits = v;
  if (digits.starts_with("0x") || digits.starts_with("0X")) digits.remove_prefix(2);
  if (digits.empty() || digits.size() > 32 ||
      digits.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return Quoted(v) + " is not a hexadecimal core mask";
  }
  if (digits.find_first_not_of('0') == std::string_view::npos) return "core mask is zero";
  *out = std::string(digits);
  return {};
}

std::vector<std::string> SplitWhitespace(std::string_view v) {
  std::vector<std::string> out;
  std::istringstream in{std::string(v)};
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

struct KeyDef {
  std::string_view section;
  std::string_view key;
  std::string (*set)(UstackConfig& c, std::string_view v);
};

constexpr uint64_t kMaxBuffer = 1u << 30;
constexpr uint64_t kMaxIdleMicros = 1000000;  // one second

std::string SetPollMode(std::string_view v, PollMode* out) {
  if (v == "busy" || v == "adaptive") {
    *out = v == "busy" ? PollMode::kBusy : PollMode::kAdaptive;
    return {};
  }
  return Quoted(v) + " is not busy or adaptive";
}

// Probabilities: a fraction in [0, 1] ("0.005") or a percentage ("0.5%").
std::string SetProbability(std::string_view v, double* out) {
  std::string_view num = v;
  double scale = 1;
  if (num.ends_with('%')) {
    num.remove_suffix(1);
    scale = 100;
  }
  double d = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), d);
  if (num.empty() || ec != std::errc() || p != num.data() + num.size() || !(d >= 0)) {
    return Quoted(v) + " is not a probability (e.g. 0.005 or 0.5%)";
  }
  d /= scale;
  if (d > 1) return "probability " + std::string(v) + " is above 1 (100%)";
  *out = d;
  return {};
}

std::string SetImpairDirection(std::string_view v, ImpairSection::Direction* out) {
  using D = ImpairSection::Direction;
  if (v == "both" || v == "rx" || v == "tx") {
    *out = v == "both" ? D::kBoth : v == "rx" ? D::kRx : D::kTx;
    return {};
  }
  return Quoted(v) + " is not both, rx or tx";
}

constexpr uint64_t kMaxImpairMicros = 10000000;  // ten seconds

const std::array kKeys = {
    KeyDef{"dpdk", "lcore_mask",
           [](UstackConfig& c, std::string_view v) { return SetHexMask(v, &c.dpdk.lcore_mask); }},
    KeyDef{"dpdk", "memory",
           [](UstackConfig& c, std::string_view v) {
             return SetNum(v, 16, 1u << 20, &c.dpdk.memory_mb);
           }},
    KeyDef{"dpdk", "no_huge",
           [](UstackConfig& c, std::string_view v) { return SetBool(v, &c.dpdk.no_huge); }},
    KeyDef{"dpdk", "file_prefix",
           [](UstackConfig& c, std::string_view v) -> std::string {
             if (v.empty() || v.find_first_of(" \t/") != std::string_view::npos) {
               return "file_prefix must be a non-empty name without spaces or '/'";
             }
             c.dpdk.file_prefix = std::string(v);
             return {};
           }},
    KeyDef{"dpdk", "eal_args",
           [](UstackConfig& c, std::string_view v) {
             c.dpdk.eal_args = SplitWhitespace(v);
             return std::string();
           }},
    KeyDef{"dpdk", "port_id",
           [](UstackConfig& c, std::string_view v) { return SetNum(v, 0, 1023, &c.dpdk.port_id); }},
    KeyDef{"dpdk", "promiscuous",
           [](UstackConfig& c, std::string_view v) { return SetBool(v, &c.dpdk.promiscuous); }},
    KeyDef{"port0", "addr",
           [](UstackConfig& c, std::string_view v) { return SetAddr(v, &c.port0.addr); }},
    KeyDef{"port0", "netmask",
           [](UstackConfig& c, std::string_view v) { return SetAddr(v, &c.port0.netmask); }},
    KeyDef{"port0", "broadcast",
           [](UstackConfig& c, std::string_view v) { return SetAddr(v, &c.port0.broadcast); }},
    KeyDef{"port0", "gateway",
           [](UstackConfig& c, std::string_view v) { return SetAddr(v, &c.port0.gateway); }},
    KeyDef{"port0", "mtu",
           [](UstackConfig& c, std::string_view v) {
             return SetNum(v, kMinPortMtu, kMaxPortMtu, &c.port0.mtu);
           }},
    KeyDef{"port0", "rx_burst",
           [](UstackConfig& c, std::string_view v) { return SetNum(v, 1, 64, &c.port0.rx_burst); }},
    KeyDef{"port0", "tx_push",
           [](UstackConfig& c, std::string_view v) { return SetNum(v, 0, 64, &c.port0.tx_push); }},
    KeyDef{"pcap", "enable",
           [](UstackConfig& c, std::string_view v) { return SetBool(v, &c.pcap.enable); }},
    KeyDef{
        "pcap", "snaplen",
        [](UstackConfig& c, std::string_view v) { return SetNum(v, 64, 65535, &c.pcap.snaplen); }},
    KeyDef{"pcap", "savepath",
           [](UstackConfig& c, std::string_view v) -> std::string {
             if (v.empty()) return "savepath is empty";
             c.pcap.savepath = std::string(v);
             return {};
           }},
    KeyDef{"tcp", "send_buffer",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 4096, kMaxBuffer, &c.tcp.send_buffer); }},
    KeyDef{"tcp", "receive_buffer",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 4096, kMaxBuffer, &c.tcp.receive_buffer); }},
    KeyDef{"tcp", "send_buffer_max",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 4096, kMaxBuffer, &c.tcp.send_buffer_max); }},
    KeyDef{
        "tcp", "receive_buffer_max",
        [](UstackConfig& c,
           std::string_view v) { return SetNum(v, 4096, kMaxBuffer, &c.tcp.receive_buffer_max); }},
    KeyDef{"tcp", "time_wait_ms",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, 240000, &c.tcp.time_wait_ms); }},
    KeyDef{"tcp", "delayed_ack_ms",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, 500, &c.tcp.delayed_ack_ms); }},
    KeyDef{"tcp", "nodelay",
           [](UstackConfig& c, std::string_view v) { return SetBool(v, &c.tcp.nodelay); }},
    KeyDef{
        "runtime", "poll_mode",
        [](UstackConfig& c, std::string_view v) { return SetPollMode(v, &c.runtime.poll_mode); }},
    KeyDef{
        "runtime", "idle_after_us",
        [](UstackConfig& c,
           std::string_view v) { return SetNum(v, 0, kMaxIdleMicros, &c.runtime.idle_after_us); }},
    KeyDef{
        "runtime", "idle_sleep_us",
        [](UstackConfig& c,
           std::string_view v) { return SetNum(v, 1, kMaxIdleMicros, &c.runtime.idle_sleep_us); }},
    KeyDef{"runtime", "idle_max_sleep_us",
           [](UstackConfig& c,
              std::string_view
                  v) { return SetNum(v, 1, kMaxIdleMicros, &c.runtime.idle_max_sleep_us); }},
    KeyDef{"impair", "enable",
           [](UstackConfig& c, std::string_view v) { return SetBool(v, &c.impair.enable); }},
    KeyDef{"impair", "direction",
           [](UstackConfig& c,
              std::string_view v) { return SetImpairDirection(v, &c.impair.direction); }},
    KeyDef{"impair", "seed",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, UINT64_MAX, &c.impair.seed); }},
    KeyDef{"impair", "delay_us",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, kMaxImpairMicros, &c.impair.delay_us); }},
    KeyDef{"impair", "jitter_us",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, kMaxImpairMicros, &c.impair.jitter_us); }},
    KeyDef{"impair", "loss",
           [](UstackConfig& c, std::string_view v) { return SetProbability(v, &c.impair.loss); }},
    KeyDef{
        "impair", "duplicate",
        [](UstackConfig& c, std::string_view v) { return SetProbability(v, &c.impair.duplicate); }},
    KeyDef{
        "impair", "reorder",
        [](UstackConfig& c, std::string_view v) { return SetProbability(v, &c.impair.reorder); }},
    KeyDef{"impair", "reorder_delay_us",
           [](UstackConfig& c,
              std::string_view
                  v) { return SetNum(v, 0, kMaxImpairMicros, &c.impair.reorder_delay_us); }},
    KeyDef{
        "impair", "corrupt",
        [](UstackConfig& c, std::string_view v) { return SetProbability(v, &c.impair.corrupt); }},
    KeyDef{"impair", "rate_kbps",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 0, 100000000, &c.impair.rate_kbps); }},
    KeyDef{"impair", "queue_limit",
           [](UstackConfig& c,
              std::string_view v) { return SetNum(v, 1, 100000, &c.impair.queue_limit); }},
};

bool KnownSection(std::string_view s) {
  for (const KeyDef& k : kKeys) {
    if (k.section == s) return true;
  }
  return false;
}

const KeyDef* FindKey(std::string_view section, std::string_view key) {
  for (const KeyDef& k : kKeys) {
    if (k.section == section && k.key == key) return &k;
  }
  return nullptr;
}

bool ContiguousMask(Ipv4Addr m) {
  uint32_t inv = ~m.v;
  return (inv & (inv + 1)) == 0;  // inv is of the form 0...01...1
}

bool SameSubnet(Ipv4Addr a, Ipv4Addr b, Ipv4Addr mask) { return (a.v & mask.v) == (b.v & mask.v); }

// Line numbers of the keys that were set, by "section.key", for errors found afterwards.
using KeyLines = std::map<std::string, int>;

// Checks keys that depend on each other; returns {line, message} (line 0: none found).
std::pair<int, std::string> ValidateRuntime(const RuntimeSection& r, const KeyLines& lines) {
  if (r.idle_max_sleep_us >= r.idle_sleep_us) return {0, {}};
  auto at = [&](const char* k) {
    auto it = lines.find(k);
    return it == lines.end() ? 0 : it->second;
  };
  const int line = std::max(at("runtime.idle_sleep_us"), at("runtime.idle_max_sleep_us"));
  return {line, "[runtime] idle_max_sleep_us " + std::to_string(r.idle_max_sleep_us) +
                    " is below idle_sleep_us " + std::to_string(r.idle_sleep_us)};
}

// [impair]: the delay must cover the jitter on both sides; the later of the two keys is named.
std::pair<int, std::string> ValidateImpair(const ImpairSection& i, const KeyLines& lines) {
  if (i.jitter_us <= i.delay_us) return {0, {}};
  auto at = [&](const char* k) {
    auto it = lines.find(k);
    return it == lines.end() ? 0 : it->second;
  };
  return {std::max(at("impair.jitter_us"), at("impair.delay_us")),
          "[impair] jitter_us " + std::to_string(i.jitter_us) + " exceeds delay_us " +
              std::to_string(i.delay_us) + " (the delay varies within delay_us +- jitter_us)"};
}

// [tcp]: an autosizing limit that is set may not be below its buffer's initial size (an unset
// one follows the initial size up, see TcpConfig).
std::pair<int, std::string> ValidateTcp(const TcpSection& t, const KeyLines& lines) {
  auto at = [&](const char* k) {
    auto it = lines.find(k);
    return it == lines.end() ? 0 : it->second;
  };
  auto check = [&](const char* name, uint32_t initial,
                   uint32_t max) -> std::pair<int, std::string> {
    const std::string key = std::string("tcp.") + name + "_max";
    if (at(key.c_str()) == 0 || max >= initial) return {0, {}};
    return {std::max(at(key.c_str()), at((std::string("tcp.") + name).c_str())),
            std::string("[tcp] ") + name + "_max " + std::to_string(max) + " is below " + name +
                " " + std::to_string(initial)};
  };
  if (auto r = check("send_buffer", t.send_buffer, t.send_buffer_max); r.first) return r;
  return check("receive_buffer", t.receive_buffer, t.receive_buffer_max);
}

// Checks the values together once every line has been read.
std::string Validate(const UstackConfig& c) {
  const PortSection& p = c.port0;
  if (p.addr.IsAny()) return "missing required key 'addr' in section [port0]";
  if (p.addr.IsBroadcast() || p.addr.IsMulticast() || p.addr.IsLoopback()) {
    return "[port0] addr " + p.addr.ToString() + " is not a unicast address";
  }
  if (!ContiguousMask(p.netmask) || p.netmask.IsAny()) {
    return "[port0] netmask " + p.netmask.ToString() + " is not a contiguous mask";
  }
  if (!p.broadcast.IsAny() && !SameSubnet(p.broadcast, p.addr, p.netmask)) {
    return "[port0] broadcast " + p.broadcast.ToString() + " is outside the subnet of addr";
  }
  if (!p.gateway.IsAny() && !SameSubnet(p.gateway, p.addr, p.netmask)) {
    return "[port0] gateway " + p.gateway.ToString() + " is outside the subnet of addr";
  }
  if (!p.gateway.IsAny() && p.gateway == p.addr) return "[port0] gateway equals addr";
  return {};
}

}  // namespace

StackConfig UstackConfig::ToStackConfig() const {
  StackConfig s;
  s.net.addr = port0.addr;
  s.net.netmask = port0.netmask;
  s.net.broadcast = port0.broadcast;
  s.net.gateway = port0.gateway;
  s.tcp.send_buffer = tcp.send_buffer;
  s.tcp.receive_buffer = tcp.receive_buffer;
  s.tcp.send_buffer_max = tcp.send_buffer_max;
  s.tcp.receive_buffer_max = tcp.receive_buffer_max;
  s.tcp.time_wait = Duration::Millis(tcp.time_wait_ms);
  s.tcp.delayed_ack = Duration::Millis(tcp.delayed_ack_ms);
  s.rx_burst = port0.rx_burst;
  s.net.tx_push_frames = port0.tx_push;
  s.tcp.early_output_sends = port0.tx_push;
  return s;
}

Impairment ImpairSection::ToImpairment() const {
  Impairment imp;
  imp.loss = loss;
  imp.duplicate = duplicate;
  imp.reorder = reorder;
  imp.corrupt = corrupt;
  imp.delay = Duration::Micros(delay_us - jitter_us);  // Impairment's jitter only adds
  imp.jitter = Duration::Micros(2 * static_cast<int64_t>(jitter_us));
  imp.reorder_delay = Duration::Micros(reorder_delay_us);
  imp.rate_bps = rate_kbps * 1000;
  imp.queue_limit = queue_limit;
  return imp;
}

IdlePolicyConfig RuntimeSection::ToIdlePolicy() const {
  IdlePolicyConfig p;
  p.mode = poll_mode;
  p.idle_after = Duration::Micros(idle_after_us);
  p.min_sleep = Duration::Micros(idle_sleep_us);
  p.max_sleep = Duration::Micros(idle_max_sleep_us);
  return p;
}

ConfigResult ParseConfig(std::string_view text, const std::string& name) {
  UstackConfig cfg;
  cfg.path = name;
  std::string section;
  KeyLines seen;
  auto fail = [&](int line, const std::string& msg) {
    return ConfigResult{std::nullopt, name + ":" + std::to_string(line) + ": " + msg};
  };
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string_view line = Trim(StripComment(raw));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') return fail(line_no, "unterminated section header");
      std::string_view s = Trim(line.substr(1, line.size() - 2));
      if (!KnownSection(s)) return fail(line_no, "unknown section [" + std::string(s) + "]");
      section = std::string(s);
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail(line_no, "missing '=' in '" + std::string(line) + "'");
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key.empty()) return fail(line_no, "empty key");
    if (section.empty()) {
      return fail(line_no, "key '" + std::string(key) + "' outside of any section");
    }
    const KeyDef* def = FindKey(section, key);
    if (def == nullptr) {
      return fail(line_no, "unknown key '" + std::string(key) + "' in section [" + section + "]");
    }
    if (!seen.emplace(section + "." + std::string(key), line_no).second) {
      return fail(line_no, "duplicate key '" + std::string(key) + "' in section [" + section + "]");
    }
    std::string err = def->set(cfg, value);
    if (!err.empty()) {
      return fail(line_no, "[" + section + "] " + std::string(key) + ": " + err);
    }
  }
  auto [rt_line, rt_err] = ValidateRuntime(cfg.runtime, seen);
  if (!rt_err.empty()) return fail(rt_line, rt_err);
  auto [imp_line, imp_err] = ValidateImpair(cfg.impair, seen);
  if (!imp_err.empty()) return fail(imp_line, imp_err);
  auto [tcp_line, tcp_err] = ValidateTcp(cfg.tcp, seen);
  if (!tcp_err.empty()) return fail(tcp_line, tcp_err);
  std::string err = Validate(cfg);
  if (!err.empty()) return ConfigResult{std::nullopt, name + ": " + err};
  return ConfigResult{std::move(cfg), {}};
}

ConfigResult LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ConfigResult{std::nullopt, path + ": cannot open file"};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ConfigResult{std::nullopt, path + ": read error"};
  return ParseConfig(text.str(), path);
}

}  // namespace ustack
