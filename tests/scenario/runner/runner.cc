// Runner: the event loop that plays a script against the L3 harness, see runner.h.
#include "runner.h"

#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>

#include "backend.h"
#include "packet.h"
#include "syscalls.h"

namespace ustack::scenario {
namespace {

constexpr int64_t kAnyTimeLimitUsecs = int64_t{3600} * 1000000;  // `*` waits at most 1 h

std::string Secs(int64_t usecs) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6f", static_cast<double>(usecs) / 1e6);
  return b;
}

class Player {
 public:
  Player(const Script& s, const RunOptions& o, Backend& h) : s_(s), o_(o), h_(h), sys_(h, flow_) {
    flow_.local_ip = o.stack.local_ip;
    flow_.remote_ip = pd::kDefaultRemoteIp;
  }

  std::string Run() {
    for (const Event& ev : s_.events) {
      line_ = ev.line;
      std::string err;
      try {
        if (o_.verbose) std::printf("%10s  line %d\n", Secs(Now()).c_str(), ev.line);
        if (ev.type == Event::Type::kOutbound) err = Outbound(ev);
        if (ev.type == Event::Type::kInbound) err = Inbound(ev);
        if (ev.type == Event::Type::kSyscall) err = Syscall(ev);
        if (err.empty()) err = error_;
      } catch (const std::exception& e) {
        err = e.what();
      }
      if (!err.empty()) return s_.path + ":" + std::to_string(line_) + ": " + err;
    }
    std::string err = FinishPending();
    return err.empty() ? "" : s_.path + ":" + std::to_string(line_) + ": " + err;
  }

 private:
  struct Pending {
    const Event* ev;
    int64_t start;
    int64_t lo;
    int64_t hi;
  };

  int64_t Now() const { return h_.Now(); }

  int64_t Resolve(const TimeSpec& t, int64_t base) const {
    switch (t.kind) {
      case TimeKind::kAbsolute:
        return t.usecs;
      case TimeKind::kRelative:
        return base + t.usecs;
      case TimeKind::kAny:
        return Now();
    }
    return Now();
  }

  // Moves the clock towards `t` one timer deadline at a time, retrying a blocked call.
  // Without a blocked call the clock may jump (the plugin backend steps 1 ms at a time).
  void AdvanceTo(int64_t t) {
    if (!pending_) h_.JumpTo(t);
    while (Now() < t && h_.StepTowards(t)) RetryPending();
  }

  std::string CheckUnexpected(int64_t t) {
    if (!o_.strict || !h_.HasOutput()) return "";
    const SentPacket& p = h_.Front();
    const int64_t sent = p.sent;
    if (sent >= t - o_.tolerance_usecs) return "";
    return "unexpected outbound packet at " + Secs(sent) +
           " s: " + DescribeOutbound(p.bytes, flow_);
  }

  std::string Outbound(const Event& ev) {
    const PacketSpec& spec = ev.pkt;
    FlowState& flow = FlowFor(spec);
    int64_t lo, hi, want;
    if (ev.time.start.kind == TimeKind::kAny) {
      lo = want = Now();
      hi = Now() + kAnyTimeLimitUsecs;
    } else {
      want = Resolve(ev.time.start, base_);
      lo = want - o_.tolerance_usecs;
      hi = (ev.time.range_end ? Resolve(*ev.time.range_end, base_) : want) + o_.tolerance_usecs;
    }
    // Nothing may leave before `lo` without being a timing error, so jump there first.
    if (!pending_ && !h_.HasOutput() && Now() < lo) h_.JumpTo(lo);
    while (!h_.HasOutput() && Now() < hi && h_.StepTowards(hi)) RetryPending();
    if (!h_.HasOutput())
      return "expected outbound packet at " + Secs(want) + " s was not sent (waited until " +
             Secs(hi) + " s): > " + spec.text;
    const SentPacket p = h_.Pop();
    const int64_t sent = p.sent;
    const std::string diff = MatchOutbound(spec, p.bytes, flow);
    if (o_.verbose) std::printf("            > %s\n", DescribeOutbound(p.bytes, flow).c_str());
    if (!diff.empty())
      return "outbound packet mismatch: " + diff + "\n  expected: > " + spec.text +
             "\n  actual:   > " + DescribeOutbound(p.bytes, flow) + " at " + Secs(sent) + " s";
    if (ev.time.start.kind != TimeKind::kAny && (sent < lo || sent > hi))
      return "timing error: expected outbound packet at " + Secs(want) + " s (+-" +
             Secs(o_.tolerance_usecs) + "), sent at " + Secs(sent) + " s: > " + spec.text;
    base_ = sent;
    return "";
  }

  std::string Inbound(const Event& ev) {
    const int64_t t = Resolve(ev.time.start, base_);
    AdvanceTo(t);
    if (std::string e = CheckUnexpected(t); !e.empty()) return e;
    if (!h_.Inject(BuildInbound(ev.pkt, FlowFor(ev.pkt)))) return "cannot inject packet (no mbufs)";
    RetryPending();
    base_ = t;
    return "";
  }

  std::string Syscall(const Event& ev) {
    const int64_t t = Resolve(ev.time.start, base_);
    if (pending_) {
      AdvanceTo(std::min(t, pending_->hi));
      if (pending_) {
        if (std::string e = FinishPending(); !e.empty()) return e;
        line_ = ev.line;
      }
    }
    AdvanceTo(t);
    if (std::string e = CheckUnexpected(t); !e.empty()) return e;
    base_ = t;
    const SyscallSpec& c = ev.call;
    const int64_t end = c.block_end ? Resolve(*c.block_end, t) : t;
    auto outcome = sys_.Attempt(c, true, 0);
    if (!outcome) {
      pending_ = Pending{&ev, t, end - o_.tolerance_usecs, end + o_.tolerance_usecs};
      return "";
    }
    if (end > t + o_.tolerance_usecs)
      return c.name + " returned at once (" + Secs(t) + " s), expected it to block until " +
             Secs(end) + " s";
    const std::string diff = sys_.Check(c, *outcome);
    return diff.empty() ? "" : c.name + " " + diff + ": " + c.text;
  }

  // The main flow, or for `peer N` the flow with remote port N (created on first use, with
  // the main flow's addresses and local port and a remote ISN of its own).
  FlowState& FlowFor(const PacketSpec& spec) {
    if (!spec.peer_port || *spec.peer_port == flow_.remote_port) return flow_;
    auto it = extra_flows_.find(*spec.peer_port);
    if (it == extra_flows_.end()) {
      FlowState f;
      f.local_ip = flow_.local_ip;
      f.remote_ip = flow_.remote_ip;
      f.local_port = flow_.local_port;
      f.remote_port = *spec.peer_port;
      f.remote_isn = flow_.remote_isn + 1000000u * static_cast<uint32_t>(extra_flows_.size() + 1);
      it = extra_flows_.emplace(*spec.peer_port, f).first;
    }
    return it->second;
  }

  void RetryPending() {
    if (!pending_ || !error_.empty()) return;
    const SyscallSpec& c = pending_->ev->call;
    auto outcome = sys_.Attempt(c, false, Now() - pending_->start);
    if (!outcome) return;
    const Pending p = *pending_;
    pending_.reset();
    const std::string where = "(call at line " + std::to_string(p.ev->line) + ") ";
    if (Now() < p.lo || Now() > p.hi) {
      error_ = where + c.name + " returned at " + Secs(Now()) + " s, expected at " +
               Secs(p.lo + o_.tolerance_usecs) + " s: " + c.text;
      return;
    }
    if (std::string diff = sys_.Check(c, *outcome); !diff.empty())
      error_ = where + c.name + " " + diff + ": " + c.text;
  }

  std::string FinishPending() {
    if (!pending_) return error_;
    AdvanceTo(pending_->hi);
    if (pending_) {
      line_ = pending_->ev->line;
      return pending_->ev->call.name + " still blocked at " + Secs(Now()) +
             " s (expected to return by " + Secs(pending_->hi) + " s): " + pending_->ev->call.text;
    }
    return error_;
  }

  const Script& s_;
  const RunOptions& o_;
  Backend& h_;
  FlowState flow_;
  std::map<uint16_t, FlowState> extra_flows_;
  Syscalls sys_;
  std::optional<Pending> pending_;
  std::string error_;  // a failure found while retrying a blocked call
  int64_t base_ = 0;   // time of the previous event, for relative times
  int line_ = 0;
};

}  // namespace

std::string RunScript(const Script& script, RunOptions opts) {
  std::string err;
  auto h = opts.plugin.empty() ? MakeHarnessBackend(opts.stack, &err)
                               : MakePluginBackend(opts.plugin, opts.stack_flags, &err);
  if (!h) return script.path + ": " + err;
  Player p(script, opts, *h);
  return p.Run();
}

}  // namespace ustack::scenario
