// Stack settings given as `key=value` words, shared by the packetdrill plugin (its FLAGS
// string) and the scenario runner (`--key=value` arguments and script header lines).
// Keys: local_ip, local_ip6 (accepted, IPv6 is not supported yet), gateway_ip, netmask_ip, mtu,
// seed, and TcpConfig fields: tcp.send_buffer, tcp.receive_buffer, tcp.send_buffer_max,
// tcp.receive_buffer_max (autosizing limits; equal to the initial size: fixed), tcp.rto_initial_ms,
// tcp.rto_min_ms, tcp.rto_max_ms, tcp.time_wait_ms, tcp.delayed_ack_ms, tcp.syn_retries,
// tcp.max_retries, tcp.ephemeral_lo, tcp.ephemeral_hi, tcp.cc (newreno/reno only).
#pragma once

#include <string>

#include "packetdrill/l3_harness.h"

namespace ustack::pd {

// Applies one setting; false (with a message in *error) for an unknown key or a bad value,
// in which case cfg is unchanged.
bool ApplyStackFlag(const std::string& key, const std::string& value, HarnessConfig* cfg,
                    std::string* error);

// Applies space-separated key=value words. Every bad word is reported in *error (one line
// each) and skipped; returns false if any was bad.
bool ApplyStackFlags(const std::string& flags, HarnessConfig* cfg, std::string* error);

}  // namespace ustack::pd
