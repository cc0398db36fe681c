// Runner: plays one parsed scenario script against a fresh L3Harness, packetdrill style.
// Events run in order at their script times on the virtual clock. Inbound packets are
// injected; an expected outbound packet is the next one the stack sent, checked field by
// field and for its send time (within the tolerance, default 4 ms as packetdrill); a socket
// call's result is compared with the script, and a blocking call (`start...end`) is retried
// as the clock moves until it completes, which must happen at `end`. Unlike packetdrill, an
// outbound packet that no event accounts for fails the script when a later event's time is
// reached (strict mode, on by default).
#pragma once

#include <cstdint>
#include <string>

#include "packetdrill/l3_harness.h"
#include "script.h"

namespace ustack::scenario {

struct RunOptions {
  int64_t tolerance_usecs = 4000;
  bool strict = true;    // fail on outbound packets the script does not expect
  bool verbose = false;  // print every event as it runs
  pd::HarnessConfig stack;
  std::string stack_flags;  // the same settings as key=value words (for the plugin)
  std::string plugin;       // path of libustack_packetdrill.so: run through it instead
};

// Runs the script; returns "" on success, else the failure as "path:line: message".
std::string RunScript(const Script& script, RunOptions opts);

}  // namespace ustack::scenario
