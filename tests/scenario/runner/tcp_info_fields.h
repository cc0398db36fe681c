// Named fields of Linux's struct tcp_info, for scripts that check TCP_INFO with
// `getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, tcpi_snd_cwnd=10}, ...)`.
#pragma once

#include <netinet/tcp.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ustack::scenario {

// The value of field `name` ("tcpi_snd_cwnd", ...) of `info`; nullopt for an unknown name.
std::optional<int64_t> TcpInfoField(const tcp_info& info, const std::string& name);

}  // namespace ustack::scenario
