// Named struct tcp_info fields, see tcp_info_fields.h.
#include "tcp_info_fields.h"

#include <functional>
#include <map>

namespace ustack::scenario {

std::optional<int64_t> TcpInfoField(const tcp_info& info, const std::string& name) {
  using Get = std::function<int64_t(const tcp_info&)>;
#define USTACK_TCPI(f)                                   \
  {                                                      \
#f, [](const tcp_info& i) -> int64_t { return i.f; } \
  }
  static const std::map<std::string, Get> kFields = {
      USTACK_TCPI(tcpi_state),      USTACK_TCPI(tcpi_ca_state),   USTACK_TCPI(tcpi_retransmits),
      USTACK_TCPI(tcpi_probes),     USTACK_TCPI(tcpi_backoff),    USTACK_TCPI(tcpi_options),
      USTACK_TCPI(tcpi_snd_wscale), USTACK_TCPI(tcpi_rcv_wscale), USTACK_TCPI(tcpi_rto),
      USTACK_TCPI(tcpi_ato),        USTACK_TCPI(tcpi_snd_mss),    USTACK_TCPI(tcpi_rcv_mss),
      USTACK_TCPI(tcpi_unacked),    USTACK_TCPI(tcpi_sacked),     USTACK_TCPI(tcpi_lost),
      USTACK_TCPI(tcpi_retrans),    USTACK_TCPI(tcpi_pmtu),       USTACK_TCPI(tcpi_rcv_ssthresh),
      USTACK_TCPI(tcpi_rtt),        USTACK_TCPI(tcpi_rttvar),     USTACK_TCPI(tcpi_snd_ssthresh),
      USTACK_TCPI(tcpi_snd_cwnd),   USTACK_TCPI(tcpi_advmss),     USTACK_TCPI(tcpi_reordering),
      USTACK_TCPI(tcpi_rcv_rtt),    USTACK_TCPI(tcpi_rcv_space),  USTACK_TCPI(tcpi_total_retrans),
  };
#undef USTACK_TCPI
  auto it = kFields.find(name);
  if (it == kFields.end()) return std::nullopt;
  return it->second(info);
}

}  // namespace ustack::scenario
