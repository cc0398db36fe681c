// Parser for packetdrill-syntax scenario scripts, see script.h. Line oriented: comments,
// `%{ python }%` blocks and `` `shell` `` lines are removed first (python and shell are not
// run); an event whose brackets are still open continues on the next line.
#include "script.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "wire/tcp.h"

namespace ustack::scenario {
namespace {

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::map<std::string, int64_t>& Constants() {
  static const std::map<std::string, int64_t> k = {
      {"AF_INET", AF_INET},
      {"PF_INET", PF_INET},
      {"AF_INET6", AF_INET6},
      {"PF_INET6", PF_INET6},
      {"AF_UNSPEC", AF_UNSPEC},
      {"SOCK_STREAM", SOCK_STREAM},
      {"SOCK_DGRAM", SOCK_DGRAM},
      {"SOCK_NONBLOCK", SOCK_NONBLOCK},
      {"SOCK_CLOEXEC", SOCK_CLOEXEC},
      {"IPPROTO_TCP", IPPROTO_TCP},
      {"IPPROTO_UDP", IPPROTO_UDP},
      {"IPPROTO_IP", IPPROTO_IP},
      {"SOL_SOCKET", SOL_SOCKET},
      {"SOL_TCP", IPPROTO_TCP},
      {"SO_ERROR", SO_ERROR},
      {"SO_REUSEADDR", SO_REUSEADDR},
      {"SO_REUSEPORT", SO_REUSEPORT},
      {"SO_KEEPALIVE", SO_KEEPALIVE},
      {"SO_LINGER", SO_LINGER},
      {"SO_RCVBUF", SO_RCVBUF},
      {"SO_SNDBUF", SO_SNDBUF},
      {"SO_TYPE", SO_TYPE},
      {"SO_ACCEPTCONN", SO_ACCEPTCONN},
      {"TCP_NODELAY", TCP_NODELAY},
      {"TCP_MAXSEG", TCP_MAXSEG},
      {"TCP_CORK", TCP_CORK},
      {"TCP_KEEPIDLE", TCP_KEEPIDLE},
      {"TCP_KEEPINTVL", TCP_KEEPINTVL},
      {"TCP_KEEPCNT", TCP_KEEPCNT},
      {"TCP_CONGESTION", TCP_CONGESTION},
      {"TCP_INFO", TCP_INFO},
      {"TCP_USER_TIMEOUT", TCP_USER_TIMEOUT},
      {"TCP_QUICKACK", TCP_QUICKACK},
      // Linux's TCP states (tcpi_state), congestion states (tcpi_ca_state) and tcpi_options.
      {"TCP_ESTABLISHED", 1},
      {"TCP_SYN_SENT", 2},
      {"TCP_SYN_RECV", 3},
      {"TCP_FIN_WAIT1", 4},
      {"TCP_FIN_WAIT2", 5},
      {"TCP_TIME_WAIT", 6},
      {"TCP_CLOSE", 7},
      {"TCP_CLOSE_WAIT", 8},
      {"TCP_LAST_ACK", 9},
      {"TCP_LISTEN", 10},
      {"TCP_CLOSING", 11},
      {"TCP_CA_Open", 0},
      {"TCP_CA_Disorder", 1},
      {"TCP_CA_CWR", 2},
      {"TCP_CA_Recovery", 3},
      {"TCP_CA_Loss", 4},
      {"TCPI_OPT_TIMESTAMPS", 1},
      {"TCPI_OPT_SACK", 2},
      {"TCPI_OPT_WSCALE", 4},
      {"TCPI_OPT_ECN", 8},
      {"F_GETFL", F_GETFL},
      {"F_SETFL", F_SETFL},
      {"O_RDONLY", O_RDONLY},
      {"O_WRONLY", O_WRONLY},
      {"O_RDWR", O_RDWR},
      {"O_NONBLOCK", O_NONBLOCK},
      {"SHUT_RD", SHUT_RD},
      {"SHUT_WR", SHUT_WR},
      {"SHUT_RDWR", SHUT_RDWR},
      {"MSG_PEEK", MSG_PEEK},
      {"MSG_DONTWAIT", MSG_DONTWAIT},
      {"MSG_NOSIGNAL", MSG_NOSIGNAL},
      {"MSG_MORE", MSG_MORE},
      {"POLLIN", POLLIN},
      {"POLLOUT", POLLOUT},
      {"POLLERR", POLLERR},
      {"POLLHUP", POLLHUP},
      {"POLLRDHUP", POLLRDHUP},
      {"POLLNVAL", POLLNVAL},
      {"EPOLLIN", EPOLLIN},
      {"EPOLLOUT", EPOLLOUT},
      {"EPOLLERR", EPOLLERR},
      {"EPOLLHUP", EPOLLHUP},
      {"EPOLLRDHUP", EPOLLRDHUP},
      {"EPOLLET", EPOLLET},
      {"EPOLL_CTL_ADD", EPOLL_CTL_ADD},
      {"EPOLL_CTL_DEL", EPOLL_CTL_DEL},
      {"EPOLL_CTL_MOD", EPOLL_CTL_MOD},
      {"NULL", 0},
  };
  return k;
}

const std::map<std::string, int>& Errnos() {
  static const std::map<std::string, int> k = {
      {"EPERM", EPERM},
      {"ENOENT", ENOENT},
      {"EINTR", EINTR},
      {"EBADF", EBADF},
      {"EAGAIN", EAGAIN},
      {"ENOMEM", ENOMEM},
      {"EFAULT", EFAULT},
      {"EINVAL", EINVAL},
      {"EMFILE", EMFILE},
      {"EPIPE", EPIPE},
      {"ENOTSOCK", ENOTSOCK},
      {"EDESTADDRREQ", EDESTADDRREQ},
      {"EMSGSIZE", EMSGSIZE},
      {"EPROTOTYPE", EPROTOTYPE},
      {"ENOPROTOOPT", ENOPROTOOPT},
      {"EPROTONOSUPPORT", EPROTONOSUPPORT},
      {"EOPNOTSUPP", EOPNOTSUPP},
      {"EAFNOSUPPORT", EAFNOSUPPORT},
      {"EADDRINUSE", EADDRINUSE},
      {"EADDRNOTAVAIL", EADDRNOTAVAIL},
      {"ENETDOWN", ENETDOWN},
      {"ENETUNREACH", ENETUNREACH},
      {"ECONNABORTED", ECONNABORTED},
      {"ECONNRESET", ECONNRESET},
      {"ENOBUFS", ENOBUFS},
      {"EISCONN", EISCONN},
      {"ENOTCONN", ENOTCONN},
      {"ETIMEDOUT", ETIMEDOUT},
      {"ECONNREFUSED", ECONNREFUSED},
      {"EHOSTUNREACH", EHOSTUNREACH},
      {"EALREADY", EALREADY},
      {"EINPROGRESS", EINPROGRESS},
  };
  return k;
}

// A cursor over one (joined) event line.
class Lexer {
 public:
  explicit Lexer(std::string s) : s_(std::move(s)) {}
  void SkipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ >= s_.size();
  }
  char Peek() {
    SkipSpace();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  bool Accept(const std::string& tok) {
    SkipSpace();
    if (s_.compare(i_, tok.size(), tok) != 0) return false;
    i_ += tok.size();
    return true;
  }
  void Expect(const std::string& tok) {
    if (!Accept(tok)) Fail("expected '" + tok + "'");
  }
  bool PeekIsNumber() {
    SkipSpace();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    const bool digit_next =
        i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]));
    return std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && digit_next) ||
           (c == '-' && digit_next);
  }
  // Seconds as in packetdrill ("0", ".1", "1.250"), returned in microseconds.
  int64_t Seconds() {
    SkipSpace();
    const size_t b = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ + 1 < s_.size() && s_[i_] == '.' &&
        std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
      ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    } else if (i_ < s_.size() && s_[i_] == '.' && (i_ + 1 >= s_.size() || s_[i_ + 1] != '.')) {
      ++i_;  // "1." form
    }
    if (i_ == b) Fail("expected a time");
    return std::llround(std::stod(s_.substr(b, i_ - b)) * 1e6);
  }
  int64_t Integer() {
    SkipSpace();
    const size_t b = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    int base = 10;
    if (s_.compare(i_, 2, "0x") == 0) {
      base = 16;
      i_ += 2;
    }
    const size_t digits = i_;
    while (i_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ == digits) Fail("expected a number");
    return std::stoll(s_.substr(b, i_ - b), nullptr, base);
  }
  std::string Ident() {
    SkipSpace();
    const size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
      ++i_;
    if (i_ == b) Fail("expected a name");
    return s_.substr(b, i_ - b);
  }
  std::string Until(char end) {
    const size_t b = i_;
    while (i_ < s_.size() && s_[i_] != end) ++i_;
    return s_.substr(b, i_ - b);
  }
  std::string Rest() { return s_.substr(std::min(i_, s_.size())); }
  // The rest of the line without surrounding blanks, for messages.
  std::string RestTrimmed() {
    SkipSpace();
    std::string r = Rest();
    r.erase(r.find_last_not_of(" \t\r") + 1);
    return r;
  }
  [[noreturn]] void Fail(const std::string& what) {
    throw ParseError(what + " at '" + s_.substr(std::min(i_, s_.size()), 30) + "'");
  }

 private:
  std::string s_;
  size_t i_ = 0;
};

TimeSpec ParseTimeSpec(Lexer& lx) {
  TimeSpec t;
  t.kind = lx.Accept("+") ? TimeKind::kRelative : TimeKind::kAbsolute;
  t.usecs = lx.Seconds();
  return t;
}

uint8_t ParseFlags(Lexer& lx) {
  lx.SkipSpace();
  uint8_t f = 0;
  static const std::map<char, uint8_t> kFlags = {{'S', kTcpSyn}, {'F', kTcpFin}, {'R', kTcpRst},
                                                 {'P', kTcpPsh}, {'.', kTcpAck}, {'U', kTcpUrg},
                                                 {'E', kTcpEce}, {'W', kTcpCwr}};
  while (true) {
    const char c = lx.Peek();
    auto it = kFlags.find(c);
    if (it == kFlags.end()) break;
    lx.Accept(std::string(1, c));
    f |= it->second;
    // Flags are written together ("S.", "P."): stop at the first space.
    if (std::isspace(static_cast<unsigned char>(lx.Rest().empty() ? ' ' : lx.Rest()[0]))) break;
  }
  if (f == 0) lx.Fail("expected TCP flags");
  return f;
}

std::vector<OptionSpec> ParseOptions(Lexer& lx, bool* any) {
  std::vector<OptionSpec> out;
  if (lx.Accept("...")) {
    *any = true;
    lx.Expect(">");
    return out;
  }
  while (!lx.Accept(">")) {
    OptionSpec o;
    o.kind = lx.Ident();
    if (o.kind == "mss" || o.kind == "wscale") {
      o.a = static_cast<uint32_t>(lx.Integer());
    } else if (o.kind == "TS") {
      lx.Expect("val");
      o.a = static_cast<uint32_t>(lx.Integer());
      lx.Expect("ecr");
      o.b = static_cast<uint32_t>(lx.Integer());
    } else if (o.kind == "sack") {
      while (lx.PeekIsNumber()) {
        const auto l = static_cast<uint32_t>(lx.Integer());
        lx.Expect(":");
        o.blocks.emplace_back(l, static_cast<uint32_t>(lx.Integer()));
      }
    } else if (o.kind != "nop" && o.kind != "sackOK" && o.kind != "eol") {
      lx.Fail("unknown TCP option '" + o.kind + "'");
    }
    out.push_back(std::move(o));
    lx.Accept(",");
  }
  return out;
}

PacketSpec ParsePacket(Lexer& lx, bool inbound) {
  PacketSpec p;
  p.inbound = inbound;
  p.text = lx.RestTrimmed();
  if (lx.Accept("[")) {
    static const std::map<std::string, uint8_t> kEcn = {
        {"noecn", 0}, {"ect1", 1}, {"ect0", 2}, {"ce", 3}, {"ect01", 2}};
    const std::string name = lx.Ident();
    auto it = kEcn.find(name);
    if (it == kEcn.end()) lx.Fail("unknown IP ECN mark '" + name + "'");
    p.ecn = it->second;
    p.ecn_any_ect = name == "ect01";
    lx.Expect("]");
  }
  p.flags = ParseFlags(lx);
  const auto start = lx.Integer();
  lx.Expect(":");
  const auto end = lx.Integer();
  lx.Expect("(");
  const auto len = lx.Integer();
  lx.Expect(")");
  if (len < 0 || end - start != len) lx.Fail("sequence range and length disagree");
  p.seq = static_cast<uint32_t>(start);
  p.len = static_cast<uint32_t>(len);
  while (!lx.AtEnd()) {
    if (lx.Accept("<")) {
      p.options_given = true;
      p.options = ParseOptions(lx, &p.options_any);
      continue;
    }
    const std::string kw = lx.Ident();
    if (kw == "ack") {
      p.ack = static_cast<uint32_t>(lx.Integer());
    } else if (kw == "win") {
      p.win = static_cast<uint32_t>(lx.Integer());
    } else if (kw == "peer") {
      p.peer_port = static_cast<uint16_t>(lx.Integer());
    } else if (kw == "urg") {
      p.urg = static_cast<uint32_t>(lx.Integer());
    } else {
      lx.Fail("unknown packet field '" + kw + "'");
    }
  }
  return p;
}

Expr ParseExpr(Lexer& lx);

Expr ParseSequence(Lexer& lx, const std::string& close, Expr::Kind kind) {
  Expr e;
  e.kind = kind;
  while (!lx.Accept(close)) {
    std::string key;
    if (kind == Expr::Kind::kStruct) {
      Lexer probe = lx;
      if (std::isalpha(static_cast<unsigned char>(probe.Peek()))) {
        const std::string name = probe.Ident();
        if (probe.Accept("=")) {
          lx = probe;
          key = name;
        }
      }
    }
    e.keys.push_back(key);
    e.items.push_back(ParseExpr(lx));
    if (!lx.Accept(",") && lx.Peek() != close[0]) lx.Fail("expected ',' or '" + close + "'");
  }
  return e;
}

Expr ParseTerm(Lexer& lx) {
  Expr e;
  if (lx.Accept("...")) {
    e.kind = Expr::Kind::kEllipsis;
  } else if (lx.Accept("[")) {
    e = ParseSequence(lx, "]", Expr::Kind::kList);
  } else if (lx.Accept("{")) {
    e = ParseSequence(lx, "}", Expr::Kind::kStruct);
  } else if (lx.Accept("\"")) {
    e.kind = Expr::Kind::kString;
    e.text = lx.Until('"');
    lx.Expect("\"");
  } else if (lx.PeekIsNumber()) {
    e.value = lx.Integer();
  } else {
    const std::string name = lx.Ident();
    if (lx.Accept("(")) {  // htons(8080), inet_addr("192.0.2.1"), sizeof(int)
      Expr inner = ParseExpr(lx);
      lx.Expect(")");
      if (name == "htons") {
        e.value = inner.value;  // kept in host order; the runner converts at the edge
      } else if (name == "sizeof") {
        e.value = 4;
      } else {
        e = inner;
      }
      return e;
    }
    if (!LookupConstant(name, &e.value)) lx.Fail("unknown constant '" + name + "'");
  }
  return e;
}

Expr ParseExpr(Lexer& lx) {
  Expr e = ParseTerm(lx);
  while (e.kind == Expr::Kind::kInt && lx.Accept("|")) e.value |= ParseTerm(lx).value;
  return e;
}

SyscallSpec ParseSyscall(Lexer& lx) {
  SyscallSpec c;
  c.text = lx.RestTrimmed();
  c.name = lx.Ident();
  lx.Expect("(");
  Expr args = ParseSequence(lx, ")", Expr::Kind::kList);
  c.args = std::move(args.items);
  lx.Expect("=");
  c.ret = lx.Integer();
  if (c.ret == -1) {
    c.err = lx.Ident();
    int64_t dummy = 0;
    if (!LookupConstant(c.err, &dummy)) lx.Fail("unknown errno '" + c.err + "'");
    if (lx.Accept("(")) lx.Until(')');
    lx.Accept(")");
  }
  if (!lx.AtEnd()) lx.Fail("trailing text");
  return c;
}

Event ParseEvent(const std::string& text, int line) {
  Lexer lx(text);
  Event ev;
  ev.line = line;
  if (lx.Accept("*")) {
    ev.time.start.kind = TimeKind::kAny;
  } else {
    ev.time.start = ParseTimeSpec(lx);
    if (lx.Accept("~")) ev.time.range_end = ParseTimeSpec(lx);
  }
  std::optional<TimeSpec> block_end;
  if (lx.Accept("...")) block_end = ParseTimeSpec(lx);
  if (lx.Accept("<")) {
    ev.type = Event::Type::kInbound;
    ev.pkt = ParsePacket(lx, true);
  } else if (lx.Accept(">")) {
    ev.type = Event::Type::kOutbound;
    ev.pkt = ParsePacket(lx, false);
  } else {
    ev.type = Event::Type::kSyscall;
    ev.call = ParseSyscall(lx);
    ev.call.block_end = block_end;
  }
  if (block_end && ev.type != Event::Type::kSyscall) lx.Fail("'...' on a packet");
  return ev;
}

// Blanks out /* */ comments, %{ }% python blocks and `shell` commands, keeping newlines.
std::string StripBlocks(const std::string& text) {
  std::string s = text;
  auto blank = [&s](size_t b, size_t e) {
    for (size_t i = b; i < e && i < s.size(); ++i)
      if (s[i] != '\n') s[i] = ' ';
  };
  const std::pair<const char*, const char*> kBlocks[] = {{"/*", "*/"}, {"%{", "}%"}, {"`", "`"}};
  for (const auto& [open, close] : kBlocks) {
    size_t pos = 0;
    while ((pos = s.find(open, pos)) != std::string::npos) {
      const size_t end = s.find(close, pos + std::string(open).size());
      const size_t stop = end == std::string::npos ? s.size() : end + std::string(close).size();
      blank(pos, stop);
      pos = stop;
    }
  }
  return s;
}

int Balance(const std::string& s) {
  int depth = 0;
  for (char c : s) {
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
  }
  return depth;
}

bool HasRfcHeader(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  static const std::regex kRfc("RFC ?[0-9]+");
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    if (line.compare(b, 2, "//") != 0) return false;  // the leading comment block ended
    if (std::regex_search(line, kRfc)) return true;
  }
  return false;
}

}  // namespace

bool LookupConstant(const std::string& name, int64_t* value) {
  if (auto it = Constants().find(name); it != Constants().end()) {
    *value = it->second;
    return true;
  }
  if (auto it = Errnos().find(name); it != Errnos().end()) {
    *value = it->second;
    return true;
  }
  if (name == "EWOULDBLOCK") {
    *value = EAGAIN;
    return true;
  }
  return false;
}

std::string ErrnoName(int err) {
  for (const auto& [name, v] : Errnos())
    if (v == err) return name;
  return "E?" + std::to_string(err);
}

bool ParseScript(const std::string& path, const std::string& text, Script* out,
                 std::string* error) {
  out->path = path;
  if (!HasRfcHeader(text)) {
    *error = path + ":1: the script must open with a '// RFC <number> <section>' comment";
    return false;
  }
  std::istringstream in(StripBlocks(text));
  std::string line;
  std::string pending;
  int line_no = 0;
  int start_line = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (const size_t c = line.find("//"); c != std::string::npos) line.erase(c);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (pending.empty()) {
      start_line = line_no;
      const size_t b = line.find_first_not_of(" \t");
      if (line.compare(b, 2, "--") == 0) {  // --key=value header option
        const std::string opt = line.substr(b + 2);
        const size_t eq = opt.find('=');
        const size_t e = opt.find_last_not_of(" \t\r");
        out->options.emplace_back(opt.substr(0, eq),
                                  eq == std::string::npos ? "" : opt.substr(eq + 1, e - eq));
        continue;
      }
    }
    pending += line + " ";
    if (Balance(pending) > 0) continue;
    // A time alone: its event was a python block or shell command, removed above.
    static const std::regex kTimeOnly(R"(^\s*(\*|\+?[0-9.]+(~\+?[0-9.]+)?)\s*$)");
    if (std::regex_match(pending, kTimeOnly)) {
      pending.clear();
      continue;
    }
    try {
      out->events.push_back(ParseEvent(pending, start_line));
    } catch (const std::exception& e) {
      *error = path + ":" + std::to_string(start_line) + ": " + e.what();
      return false;
    }
    pending.clear();
  }
  if (!pending.empty()) {
    *error = path + ":" + std::to_string(start_line) + ": unbalanced brackets";
    return false;
  }
  return true;
}

}  // namespace ustack::scenario
