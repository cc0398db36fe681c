// Counter printing for Stack::PrintCounters: every layer's counters by name, netstat -s style.
// Each table lists a struct's fields once; adding a counter means adding one line here.
#include <cinttypes>
#include <initializer_list>
#include <utility>

#include "stack/stack.h"

namespace ustack {
namespace {

using Row = std::pair<const char*, uint64_t>;

void PrintRows(FILE* out, const char* layer, std::initializer_list<Row> rows, bool all) {
  for (const Row& r : rows) {
    if (all || r.second != 0) std::fprintf(out, "%s.%s %" PRIu64 "\n", layer, r.first, r.second);
  }
}

void PrintNet(FILE* out, const NetCounters& c, bool all) {
  PrintRows(out, "net",
            {{"rx_frames", c.rx_frames},
             {"rx_bytes", c.rx_bytes},
             {"tx_frames", c.tx_frames},
             {"tx_bytes", c.tx_bytes},
             {"drop_eth_malformed", c.drop_eth_malformed},
             {"drop_eth_not_for_us", c.drop_eth_not_for_us},
             {"drop_eth_unknown_type", c.drop_eth_unknown_type},
             {"arp_requests_in", c.arp_requests_in},
             {"arp_replies_in", c.arp_replies_in},
             {"arp_requests_out", c.arp_requests_out},
             {"arp_replies_out", c.arp_replies_out},
             {"drop_arp_malformed", c.drop_arp_malformed},
             {"drop_arp_unresolved", c.drop_arp_unresolved},
             {"drop_arp_queue_full", c.drop_arp_queue_full},
             {"arp_revalidations", c.arp_revalidations},
             {"ip_in", c.ip_in},
             {"ip_out", c.ip_out},
             {"drop_ip_malformed", c.drop_ip_malformed},
             {"drop_ip_bad_checksum", c.drop_ip_bad_checksum},
             {"drop_ip_not_for_us", c.drop_ip_not_for_us},
             {"drop_ip_unknown_protocol", c.drop_ip_unknown_protocol},
             {"drop_ip_no_route", c.drop_ip_no_route},
             {"drop_ip_no_buffer", c.drop_ip_no_buffer},
             {"drop_ip_too_big", c.drop_ip_too_big},
             {"frag_in", c.frag_in},
             {"reassembled", c.reassembled},
             {"drop_frag_timeout", c.drop_frag_timeout},
             {"drop_frag_memory", c.drop_frag_memory},
             {"drop_frag_malformed", c.drop_frag_malformed},
             {"icmp_in", c.icmp_in},
             {"icmp_echo_replies", c.icmp_echo_replies},
             {"icmp_unreachable_out", c.icmp_unreachable_out},
             {"drop_icmp_malformed", c.drop_icmp_malformed},
             {"icmp_errors_in", c.icmp_errors_in},
             {"drop_icmp_error_quote", c.drop_icmp_error_quote},
             {"pmtu_reductions", c.pmtu_reductions},
             {"drop_tx_full", c.drop_tx_full}},
            all);
}

void PrintTcp(FILE* out, const TcpCounters& c, bool all) {
  PrintRows(out, "tcp",
            {{"segs_in", c.segs_in},
             {"segs_out", c.segs_out},
             {"retrans_segs", c.retrans_segs},
             {"rto_expired", c.rto_expired},
             {"active_opens", c.active_opens},
             {"passive_opens", c.passive_opens},
             {"resets_in", c.resets_in},
             {"resets_out", c.resets_out},
             {"established_resets", c.established_resets},
             {"drop_bad_checksum", c.drop_bad_checksum},
             {"drop_malformed", c.drop_malformed},
             {"drop_no_connection", c.drop_no_connection},
             {"drop_out_of_window", c.drop_out_of_window},
             {"drop_listen_overflow", c.drop_listen_overflow},
             {"drop_no_memory", c.drop_no_memory},
             {"ooo_segments", c.ooo_segments},
             {"connections_aborted", c.connections_aborted},
             {"dup_acks_in", c.dup_acks_in},
             {"fast_retransmits", c.fast_retransmits},
             {"sack_recoveries", c.sack_recoveries},
             {"sack_retransmits", c.sack_retransmits},
             {"dsacks_in", c.dsacks_in},
             {"challenge_acks", c.challenge_acks},
             {"challenge_acks_limited", c.challenge_acks_limited},
             {"paws_drops", c.paws_drops},
             {"spurious_undos", c.spurious_undos},
             {"dsack_undos", c.dsack_undos},
             {"rcv_buf_grown", c.rcv_buf_grown},
             {"snd_buf_grown", c.snd_buf_grown},
             {"buf_growth_refused", c.buf_growth_refused},
             {"keepalive_probes", c.keepalive_probes},
             {"keepalive_timeouts", c.keepalive_timeouts},
             {"user_timeouts", c.user_timeouts},
             {"time_wait_reused", c.time_wait_reused},
             {"ecn_ce_in", c.ecn_ce_in},
             {"ecn_reductions", c.ecn_reductions},
             {"cookies_sent", c.cookies_sent},
             {"cookies_validated", c.cookies_validated},
             {"cookies_failed", c.cookies_failed},
             {"icmp_errors_in", c.icmp_errors_in},
             {"drop_icmp_out_of_window", c.drop_icmp_out_of_window},
             {"drop_icmp_no_connection", c.drop_icmp_no_connection},
             {"pmtu_updates", c.pmtu_updates},
             {"tlp_probes", c.tlp_probes},
             {"tlp_recoveries", c.tlp_recoveries},
             {"rack_lost", c.rack_lost},
             {"rack_reorder_timeouts", c.rack_reorder_timeouts}},
            all);
}

void PrintUdp(FILE* out, const UdpCounters& c, bool all) {
  PrintRows(out, "udp",
            {{"datagrams_in", c.datagrams_in},
             {"datagrams_out", c.datagrams_out},
             {"drop_malformed", c.drop_malformed},
             {"drop_bad_checksum", c.drop_bad_checksum},
             {"drop_no_port", c.drop_no_port},
             {"drop_receive_buffer_full", c.drop_receive_buffer_full},
             {"drop_send_failed", c.drop_send_failed},
             {"icmp_errors_reported", c.icmp_errors_reported},
             {"icmp_errors_ignored", c.icmp_errors_ignored}},
            all);
}

}  // namespace

void Stack::PrintCounters(FILE* out, bool all) const {
  const PortStats p = port_->stats();
  PrintRows(out, "port",
            {{"rx_packets", p.rx_packets},
             {"rx_bytes", p.rx_bytes},
             {"tx_packets", p.tx_packets},
             {"tx_bytes", p.tx_bytes},
             {"tx_dropped", p.tx_dropped},
             {"rx_dropped", p.rx_dropped}},
            all);
  PrintNet(out, net_->counters(), all);
  PrintTcp(out, tcp_->counters(), all);
  PrintUdp(out, udp_->counters(), all);
  PrintRows(out, "stack", {{"polls", polls_}, {"tcp_connections", tcp_->connection_count()}}, all);
}

}  // namespace ustack
