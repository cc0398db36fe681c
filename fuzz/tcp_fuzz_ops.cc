// The operations of a Session: decoding each one from the input and running it, see
// tcp_fuzz_session.h. The order in which values are consumed is the input format (mirrored by
// make_tcp_seeds.py), so each value is read in a statement of its own.
#include <netinet/tcp.h>

#include <algorithm>
#include <span>
#include <vector>

#include "tcp_fuzz_session.h"

namespace ustack::fuzz {
namespace {

constexpr uint32_t kMaxPayload = 1900;  // headers plus payload fit one mbuf
constexpr uint32_t kPeerMss = 1460;     // what the stack advertises over a 1500 MTU

// Operations by weight: peer segments and the clock most, closing the connection rarely (an
// input that closes early spends the rest of its bytes on a dead connection).
Op DecodeOp(uint8_t byte) {
  static constexpr struct {
    Op op;
    int weight;
  } kWeights[] = {{Op::kSegment, 10}, {Op::kData, 10},   {Op::kAck, 10},  {Op::kFin, 2},
                  {Op::kReplay, 4},   {Op::kAdvance, 8}, {Op::kWrite, 7}, {Op::kRead, 6},
                  {Op::kShutdown, 2}, {Op::kSetOpt, 3},  {Op::kClose, 1}, {Op::kAbort, 1}};
  int k = byte % 64;
  for (const auto& w : kWeights) {
    if (k < w.weight) return w.op;
    k -= w.weight;
  }
  return Op::kSegment;
}

// The clock step of an Advance operation: milliseconds up to keepalive's two hours.
Duration DecodeAdvance(uint8_t k) {
  if (k < 64) return Duration::Millis(k + 1);
  if (k < 128) return Duration::Millis(int64_t{k - 63} * 25);
  if (k < 192) return Duration::Seconds(k - 127);
  if (k < 250) return Duration::Seconds(int64_t{k - 191} * 60);
  return Duration::Seconds(7300);
}

}  // namespace

void Session::Step() {
  StepStart start;
  uint64_t notes = sink_.count;
  if (conn_) {
    start = Snapshot(*conn_);
    seen_.snd_una_floor = conn_->snd_una();
    checker_.BeginStep(start);
  }
  const Op op = DecodeOp(in_.ConsumeIntegral<uint8_t>());
  const bool network = Dispatch(op);
  Collect();
  Trace(op);
  if (!conn_) return;
  checker_.CheckConnection(*conn_, start);
  if (network) CheckEvents(start, notes);
}

bool Session::Dispatch(Op op) {
  switch (op) {
    case Op::kSegment:
      OpSegment();
      return true;
    case Op::kData:
      OpData();
      return true;
    case Op::kAck:
      OpAck();
      return true;
    case Op::kFin:
      OpFin();
      return true;
    case Op::kReplay:
      OpReplay();
      return true;
    case Op::kAdvance:
      OpAdvance();
      return true;
    case Op::kWrite:
      OpWrite();
      break;
    case Op::kRead:
      OpRead();
      break;
    case Op::kShutdown:
      OpShutdown();
      break;
    case Op::kSetOpt:
      OpSetOpt();
      break;
    case Op::kClose:
    case Op::kAbort:
      OpClose(op == Op::kAbort);
      break;
  }
  h_->Settle();
  return false;
}

void Session::OpSegment() {
  SegSpec s = Sane();
  // One value per statement: the order in which bytes are consumed is part of the format.
  const Seq32 seq = SeqBase(in_.ConsumeIntegralInRange<uint8_t>(0, 4));
  s.seq = (seq + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-4096, 4096))).raw();
  const Seq32 ack = AckBase(in_.ConsumeIntegralInRange<uint8_t>(0, 3));
  s.ack = (ack + static_cast<uint32_t>(in_.ConsumeIntegralInRange<int32_t>(-4096, 4096))).raw();
  const uint8_t flags = in_.ConsumeIntegral<uint8_t>();
  constexpr uint8_t kSane = kTcpPsh | kTcpFin | kTcpUrg | kTcpEce | kTcpCwr;
  s.flags = in_.ConsumeBool() ? flags : static_cast<uint8_t>(kTcpAck | (flags & kSane));
  s.window = in_.ConsumeIntegral<uint16_t>();
  if (s.flags & kTcpUrg) s.urgent = in_.ConsumeIntegral<uint16_t>();
  s.payload_len = in_.ConsumeIntegralInRange<uint32_t>(0, kMaxPayload);
  DecodeOptions(s);
  s.tos = in_.ConsumeIntegralInRange<uint8_t>(0, 3);
  // Mostly intact: a quarter of the values damage the segment.
  const uint8_t damage = in_.ConsumeIntegralInRange<uint8_t>(0, 15);
  if (damage <= static_cast<uint8_t>(Corruption::kMaxValue)) s.corrupt = Corruption{damage};
  Inject(s);
}

void Session::OpData() {
  SegSpec s = Sane();
  const uint8_t mode = in_.ConsumeIntegralInRange<uint8_t>(0, 3);
  s.payload_len = in_.ConsumeIntegralInRange<uint32_t>(1, kPeerMss);
  const int64_t run = peer_.sent.RunEnd(0);
  const int64_t sent = Offset(peer_.nxt, peer_.stream0());
  if (mode == 1) {  // new data after a gap
    s.seq = (peer_.nxt + in_.ConsumeIntegralInRange<uint32_t>(1, 8192)).raw();
  } else if (mode == 2) {  // fill the first hole
    s.seq = (peer_.stream0() + static_cast<uint32_t>(run)).raw();
  } else if (mode == 3 && sent > 0) {  // duplicate of something sent
    const int64_t at = in_.ConsumeIntegralInRange<int64_t>(0, sent - 1);
    s.seq = (peer_.stream0() + static_cast<uint32_t>(at)).raw();
  }
  if (in_.ConsumeBool()) s.flags |= kTcpFin;
  if (in_.ConsumeBool()) s.flags |= kTcpPsh;
  if (seen_.ecn_ok && in_.ConsumeBool()) s.tos = 3;  // CE
  Inject(s);
}

void Session::OpAck() {
  SegSpec s = Sane();
  const uint8_t mode = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
  if (mode == 1) {  // partial: some segments past SND.UNA
    const uint32_t k = in_.ConsumeIntegralInRange<uint32_t>(0, 16);
    s.ack = SeqMin(seen_.snd_una_floor + k * seen_.snd_mss, seen_.snd_max).raw();
  } else if (mode == 2) {  // duplicate
    s.ack = seen_.snd_una_floor.raw();
  }
  const uint8_t wnd = in_.ConsumeIntegralInRange<uint8_t>(0, 3);
  if (wnd == 1) peer_.window = 0;
  if (wnd == 2) peer_.window = in_.ConsumeIntegral<uint8_t>();
  if (wnd == 3) peer_.window = in_.ConsumeIntegral<uint16_t>();
  s.window = peer_.window;
  AddSackBlocks(s, Seq32(s.ack), in_.ConsumeIntegralInRange(0, 3));
  if (seen_.ecn_ok && in_.ConsumeBool()) s.flags |= kTcpEce;
  Inject(s);
}

void Session::OpFin() {
  SegSpec s = Sane();
  s.flags |= kTcpFin;
  Inject(s);
}

void Session::OpReplay() {
  if (history_.empty()) return;
  const size_t i = in_.ConsumeIntegralInRange<size_t>(0, history_.size() - 1);
  const SegSpec s = history_[i];  // the same bytes again, judged against today's state
  Inject(s);
}

void Session::OpAdvance() {
  const Instant until = now() + DecodeAdvance(in_.ConsumeIntegral<uint8_t>());
  while (h_->StepTowards(until)) Collect();
}

void Session::OpWrite() {
  const uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, kMaxIo);
  if (!conn_) return;
  std::vector<uint8_t> data(n);
  for (uint32_t i = 0; i < n; ++i) data[i] = AppByte(app_.written + i);
  const size_t writable = conn_->writable_bytes();
  auto r = conn_->Send(data, now());
  if (r.ok()) {
    FUZZ_CHECK(r.value() == std::min<size_t>(n, writable), "wrote %zu of %u with %zu writable",
               r.value(), n, writable);
    app_.written += r.value();
    return;
  }
  const int e = r.error();
  FUZZ_CHECK(e == EPIPE || e == ECONNRESET || e == ETIMEDOUT || (e == EAGAIN && writable == 0),
             "write failed with %d (%zu writable)", e, writable);
}

// Recv, Peek (MSG_PEEK) or RecvChunks (zero copy; the chunks may stay lent to the
// application for a while, and their bytes are checked again when they come back).
void Session::OpRead() {
  const uint8_t mode = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
  const uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, kMaxIo);
  const bool keep = in_.ConsumeBool();
  ReleaseLent();
  if (mode == 0) {
    ReadChecked(n);
  } else if (mode == 1) {
    PeekChecked(n);
  } else {
    ReadChunksChecked(1 + n % 16, keep);
  }
}

void Session::ReadChecked(size_t n) {
  if (!conn_) return;
  std::vector<uint8_t> buf(n);
  const size_t readable = conn_->readable_bytes();
  auto r = conn_->Recv(buf, now());
  if (!ReadReturnedData(r, readable)) return;
  FUZZ_CHECK(r.value() == std::min(n, readable), "read %zu of %zu (%zu readable)", r.value(), n,
             readable);
  CheckStreamBytes({buf.data(), r.value()}, app_.read);
  app_.read += r.value();
}

void Session::PeekChecked(size_t n) {
  if (!conn_) return;
  std::vector<uint8_t> buf(n);
  const size_t readable = conn_->readable_bytes();
  auto r = conn_->Peek(buf);
  if (!ReadReturnedData(r, readable)) return;
  FUZZ_CHECK(r.value() == std::min(n, readable) && conn_->readable_bytes() == readable,
             "peeked %zu of %zu (%zu readable, %zu after)", r.value(), n, readable,
             conn_->readable_bytes());
  CheckStreamBytes({buf.data(), r.value()}, app_.read);
}

void Session::ReadChunksChecked(size_t max_chunks, bool keep) {
  if (!conn_) return;
  const size_t readable = conn_->readable_bytes();
  Lent lent{{}, app_.read};
  auto r = conn_->RecvChunks(&lent.chunks, max_chunks);
  if (!ReadReturnedData(r, readable)) return;
  size_t total = 0;
  for (const RecvChunk& c : lent.chunks) total += c.len;
  FUZZ_CHECK(lent.chunks.size() <= max_chunks && total == r.value() && r.value() <= readable &&
                 conn_->readable_bytes() == readable - r.value(),
             "%zu chunks of %zu bytes for %zu returned (%zu readable)", lent.chunks.size(), total,
             r.value(), readable);
  CheckChunks(lent);
  app_.read += r.value();
  if (keep) lent_.push_back(std::move(lent));
}

// Checks a read's outcome; true when it returned data (which must follow the stream).
bool Session::ReadReturnedData(const Result<size_t>& r, size_t readable) {
  if (!r.ok()) {
    const int e = r.error();
    FUZZ_CHECK(e == ECONNRESET || e == ETIMEDOUT || (e == EAGAIN && readable == 0),
               "read failed with %d (%zu readable)", e, readable);
    return false;
  }
  if (r.value() == 0) {
    CheckEndOfStream(readable);
    return false;
  }
  FUZZ_CHECK(!app_.eof, "data after the end of the stream");
  FUZZ_CHECK(!app_.shut_rd, "data after shutdown(SHUT_RD)");
  return true;
}

// Bytes the application got at stream offset `from`: sent by the peer, in order.
void Session::CheckStreamBytes(std::span<const uint8_t> bytes, uint64_t from) const {
  const int64_t lo = static_cast<int64_t>(from);
  const int64_t hi = lo + static_cast<int64_t>(bytes.size());
  FUZZ_CHECK(peer_.sent.Covers(lo, hi), "read stream [%lld, %lld) that the peer never sent",
             static_cast<long long>(lo), static_cast<long long>(hi));
  for (size_t i = 0; i < bytes.size(); ++i) {
    const uint32_t seq = (peer_.stream0() + static_cast<uint32_t>(from + i)).raw();
    FUZZ_CHECK(bytes[i] == PeerByte(seq), "read byte at stream offset %llu is wrong",
               static_cast<unsigned long long>(from + i));
  }
}

void Session::CheckChunks(const Lent& lent) const {
  uint64_t off = lent.offset;
  for (const RecvChunk& c : lent.chunks) {
    std::vector<uint8_t> bytes(c.len);
    FUZZ_CHECK(c.pkt.CopyOut(c.off, bytes) == c.len, "chunk shorter than its length");
    CheckStreamBytes(bytes, off);
    off += c.len;
  }
}

// The application gives lent chunks back; their bytes must not have changed meanwhile.
void Session::ReleaseLent() {
  for (const Lent& l : lent_) CheckChunks(l);
  lent_.clear();
}

// Recv returned 0: after SHUT_RD, once the connection is closed, or at the peer's FIN.
void Session::CheckEndOfStream(size_t readable) {
  if (app_.shut_rd || conn_->state() == TcpState::kClosed) return;
  FUZZ_CHECK(readable == 0, "end of stream with %zu bytes readable", readable);
  FUZZ_CHECK(peer_.fins.count(static_cast<int64_t>(app_.read)) > 0,
             "end of stream at offset %llu where the peer sent no FIN",
             static_cast<unsigned long long>(app_.read));
  app_.eof = true;
}

void Session::OpShutdown() {
  const uint8_t how = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
  if (!conn_) return;
  const bool rd = how != 1, wr = how != 0;
  app_.shut_rd = app_.shut_rd || rd;
  // A FIN follows only from a synchronized, not yet reset connection.
  const TcpState st = conn_->state();
  if (wr && (st == TcpState::kEstablished || st == TcpState::kCloseWait)) app_.shut_wr = true;
  conn_->Shutdown(rd, wr, now());
}

void Session::OpSetOpt() {
  const uint8_t which = in_.ConsumeIntegralInRange<uint8_t>(0, 7);
  const bool on = in_.ConsumeBool();
  if (!conn_) return;
  switch (which) {
    case 0:
      conn_->set_nodelay(on);
      break;
    case 1:
      conn_->SetCork(on);
      break;
    case 2:
      SetKeepalive(on);
      break;
    case 3:
      conn_->SetUserTimeout(Duration::Millis(in_.ConsumeIntegralInRange(0, 30000)));
      break;
    case 4:
      conn_->SetLinger(on, Duration::Seconds(in_.ConsumeIntegralInRange(0, 1)));
      break;
    case 5:
      conn_->SetCongestion(on ? TcpCongestionAlgo::kNewReno : TcpCongestionAlgo::kCubic);
      break;
    case 6:
      CheckInfo();
      break;
    default:
      conn_->TakeError();
      break;
  }
}

void Session::SetKeepalive(bool on) {
  const auto idle = Duration::Seconds(in_.ConsumeIntegralInRange(1, 120));
  const auto intvl = Duration::Seconds(in_.ConsumeIntegralInRange(1, 30));
  const int cnt = in_.ConsumeIntegralInRange(1, 5);
  conn_->SetKeepalive(on, idle, intvl, cnt, now());
}

void Session::CheckInfo() const {
  tcp_info info;
  conn_->GetInfo(&info, now());
  const bool closed = conn_->state() == TcpState::kClosed;
  FUZZ_CHECK(closed == (info.tcpi_state == 7), "TCP_INFO state %u for %s", info.tcpi_state,
             TcpStateName(conn_->state()));
  FUZZ_CHECK(info.tcpi_snd_mss > 0 && info.tcpi_rto > 0, "TCP_INFO without MSS or RTO");
}

void Session::OpClose(bool abort) {
  if (!conn_) return;
  const TcpState st = conn_->state();
  if (st == TcpState::kEstablished || st == TcpState::kCloseWait) app_.shut_wr = true;
  if (abort) {
    conn_->Abort(now());
  } else {
    conn_->Close(now());
  }
  conn_ = nullptr;
  app_.released = true;
}

Seq32 Session::SeqBase(uint8_t which) const {
  switch (which) {
    case 0:
      return peer_.nxt;
    case 1:
      return conn_ ? conn_->rcv_nxt() : seen_.last_ack;
    case 2:
      return peer_.stream0() + static_cast<uint32_t>(app_.read);
    case 3:
      return seen_.last_ack;
    default:
      return Seq32(in_.ConsumeIntegral<uint32_t>());
  }
}

Seq32 Session::AckBase(uint8_t which) const {
  switch (which) {
    case 0:
      return seen_.snd_max;
    case 1:
      return seen_.snd_una_floor;
    case 2:
      return seen_.stream0();
    default:
      return Seq32(in_.ConsumeIntegral<uint32_t>());
  }
}

void Session::DecodeOptions(SegSpec& s) {
  const uint8_t bits = in_.ConsumeIntegral<uint8_t>();
  if (bits & 1) s.options.timestamps.reset();
  if (bits & 2) {
    const uint32_t v = (bits & 4)
                           ? in_.ConsumeIntegral<uint32_t>()
                           : PeerTsNow() + static_cast<uint32_t>(in_.ConsumeIntegral<int8_t>());
    s.options.timestamps = TcpTimestamps{v, in_.ConsumeIntegral<uint32_t>()};
  }
  if (bits & 8) AddSackBlocks(s, seen_.snd_una_floor, in_.ConsumeIntegralInRange(1, 4));
  if (bits & 16) s.options.mss = in_.ConsumeIntegral<uint16_t>();
  if (bits & 32) s.options.window_scale = in_.ConsumeIntegral<uint8_t>();
  if (bits & 64) s.options.sack_permitted = true;
  if (bits & 128) s.raw_options = in_.ConsumeBytes<uint8_t>(in_.ConsumeIntegralInRange(1, 40));
}

// SACK blocks of whole segments above `base` (RFC 2018 3), clipped to what was sent.
void Session::AddSackBlocks(SegSpec& s, Seq32 base, int count) {
  const uint32_t mss = seen_.snd_mss;
  for (int i = 0; i < count && i < static_cast<int>(kTcpMaxSackBlocks); ++i) {
    const Seq32 left = base + in_.ConsumeIntegralInRange<uint32_t>(0, 16) * mss;
    const Seq32 right = left + in_.ConsumeIntegralInRange<uint32_t>(1, 8) * mss;
    s.options.sack[i] = TcpSackBlock{left.raw(), SeqMin(right, seen_.snd_max).raw()};
    s.options.sack_count = static_cast<uint8_t>(i + 1);
  }
}

}  // namespace ustack::fuzz
