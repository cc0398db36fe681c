// TCP socket options backed by TcpConnection, see tcp_options.h. Values and errors are
// Linux's: SO_LINGER takes struct linger, TCP_USER_TIMEOUT milliseconds (negative: EINVAL),
// TCP_CONGESTION a name ("cubic", "reno"; unknown: ENOENT), TCP_INFO is read-only.
#include "socket/tcp_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "socket/option_values.h"

namespace ustack {
namespace {

// Integer options at IPPROTO_TCP level kept on the socket and applied to the connection.
bool IsTcpIntOption(int name) {
  return name == TCP_CORK || name == TCP_USER_TIMEOUT || name == TCP_KEEPIDLE ||
         name == TCP_KEEPINTVL || name == TCP_KEEPCNT;
}

// Linux's ranges: TCP_KEEPIDLE / TCP_KEEPINTVL 1..32767 s, TCP_KEEPCNT 1..127.
int SetTcpInt(TcpSock* t, int name, int v) {
  switch (name) {
    case TCP_CORK:
      t->cork = v != 0;
      return 0;
    case TCP_USER_TIMEOUT:
      if (v < 0) return -EINVAL;
      t->user_timeout_ms = static_cast<uint32_t>(v);
      return 0;
    case TCP_KEEPIDLE:
    case TCP_KEEPINTVL:
      if (v < 1 || v > 32767) return -EINVAL;
      (name == TCP_KEEPIDLE ? t->keep_idle_s : t->keep_intvl_s) = v;
      return 0;
    default:  // TCP_KEEPCNT
      if (v < 1 || v > 127) return -EINVAL;
      t->keep_cnt = v;
      return 0;
  }
}

bool Connected(const TcpSock* t) { return t->state == TcpSockState::kConnected && t->conn; }

}  // namespace

int SetTcpOption(TcpSock* t, int level, int name, const void* val, socklen_t len, Instant now) {
  if (level == SOL_SOCKET && name == SO_LINGER) {
    if (!val) return -EFAULT;
    if (len < static_cast<socklen_t>(sizeof(linger))) return -EINVAL;
    linger l;
    std::memcpy(&l, val, sizeof l);
    t->linger_on = l.l_onoff != 0;
    t->linger_secs = l.l_linger < 0 ? 0 : l.l_linger;
  } else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
    // RFC 1122 4.2.3.6: keep-alives are off unless the application turns them on.
    int v = 0;
    if (int rc = ReadIntOpt(val, len, &v); rc < 0) return rc;
    t->keepalive = v != 0;
  } else if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
    if (!val) return -EFAULT;
    std::string_view n(static_cast<const char*>(val),
                       strnlen(static_cast<const char*>(val), static_cast<size_t>(len)));
    if (n == "cubic") {
      t->congestion = TcpCongestionAlgo::kCubic;
    } else if (n == "reno") {
      t->congestion = TcpCongestionAlgo::kNewReno;
    } else {
      return -ENOENT;
    }
    t->congestion_set = true;
  } else if (level == IPPROTO_TCP && name == TCP_QUICKACK) {
    int v = 0;
    if (int rc = ReadIntOpt(val, len, &v); rc < 0) return rc;
    if (Connected(t)) t->conn->SetQuickAck(v != 0, now);  // a mode of the connection only
    return 0;
  } else if (level == IPPROTO_TCP && IsTcpIntOption(name)) {
    int v = 0;
    if (int rc = ReadIntOpt(val, len, &v); rc < 0) return rc;
    if (int rc = SetTcpInt(t, name, v); rc < 0) return rc;
  } else {
    return 1;
  }
  if (Connected(t)) ApplyTcpOptions(t, now);
  return 0;
}

int GetTcpOption(TcpSock* t, int level, int name, void* val, socklen_t* len, Instant now) {
  if (level == SOL_SOCKET && name == SO_LINGER) {
    linger l{t->linger_on ? 1 : 0, t->linger_secs};
    return WriteBytes(&l, sizeof l, val, len);
  }
  if (level == SOL_SOCKET && name == SO_KEEPALIVE) return WriteIntOpt(t->keepalive, val, len);
  if (level != IPPROTO_TCP) return 1;
  switch (name) {
    case TCP_CORK:
      return WriteIntOpt(t->cork, val, len);
    case TCP_QUICKACK:
      return WriteIntOpt(Connected(t) && t->conn->quick_ack() ? 1 : 0, val, len);
    case TCP_USER_TIMEOUT:
      return WriteIntOpt(static_cast<int>(t->user_timeout_ms), val, len);
    case TCP_KEEPIDLE:
      return WriteIntOpt(t->keep_idle_s, val, len);
    case TCP_KEEPINTVL:
      return WriteIntOpt(t->keep_intvl_s, val, len);
    case TCP_KEEPCNT:
      return WriteIntOpt(t->keep_cnt, val, len);
    case TCP_CONGESTION: {
      const char* n = t->congestion == TcpCongestionAlgo::kNewReno ? "reno" : "cubic";
      char buf[16] = {};
      std::memcpy(buf, n, std::strlen(n));
      return WriteBytes(buf, sizeof buf, val, len);
    }
    case TCP_INFO: {
      tcp_info info{};
      if (Connected(t)) {
        t->conn->GetInfo(&info, now);
      } else {
        info.tcpi_state = t->state == TcpSockState::kListening ? TCP_LISTEN : TCP_CLOSE;
      }
      return WriteBytes(&info, sizeof info, val, len);
    }
    default:
      return 1;
  }
}

void ApplyTcpOptions(TcpSock* t, Instant now) {
  if (!Connected(t)) return;
  TcpConnection* c = t->conn;
  c->SetLinger(t->linger_on, Duration::Seconds(t->linger_secs));
  c->SetCork(t->cork);
  c->SetUserTimeout(Duration::Millis(t->user_timeout_ms));
  if (t->congestion_set) c->SetCongestion(t->congestion);
  c->SetKeepalive(t->keepalive, Duration::Seconds(t->keep_idle_s),
                  Duration::Seconds(t->keep_intvl_s), t->keep_cnt, now);
}

void InheritTcpOptions(const TcpSock& from, TcpSock* to) {
  to->reuse_addr = from.reuse_addr;  // as Linux: an accepted socket copies the listener's
  to->reuse_port = from.reuse_port;
  to->rcvbuf = from.rcvbuf;  // the connection itself got them from the listener (SettingsOf)
  to->sndbuf = from.sndbuf;
  to->user_mss = from.user_mss;
  to->linger_on = from.linger_on;
  to->linger_secs = from.linger_secs;
  to->cork = from.cork;
  to->user_timeout_ms = from.user_timeout_ms;
  to->congestion = from.congestion;
  to->congestion_set = from.congestion_set;
  to->keepalive = from.keepalive;
  to->keep_idle_s = from.keep_idle_s;
  to->keep_intvl_s = from.keep_intvl_s;
  to->keep_cnt = from.keep_cnt;
}

TcpSockSettings SettingsOf(const TcpSock& t) {
  TcpSockSettings s;
  s.rcvbuf = static_cast<uint32_t>(t.rcvbuf / 2);
  s.sndbuf = static_cast<uint32_t>(t.sndbuf / 2);
  s.user_mss = static_cast<uint16_t>(t.user_mss);
  return s;
}

}  // namespace ustack
