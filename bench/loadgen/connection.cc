#include "connection.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <boost/asio/write.hpp>

namespace incidentd::bench {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr size_t kReadBufferBytes = 16 * 1024;
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr auto kConnectBackoff = std::chrono::milliseconds(50);
constexpr int kMaxLoggedErrors = 10;

std::atomic<int> g_logged_errors{0};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IContains(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (IEquals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Connection::Connection(asio::io_context& io, RunState& run, Stats& stats, size_t index)
    : run_(run),
      stats_(stats),
      socket_(io),
      timer_(io),
      offset_ns_(run.interval_ns * static_cast<double>(index) / static_cast<double>(run.connections)),
      rbuf_(kReadBufferBytes) {}

void Connection::Start() { Connect(); }

void Connection::Abort() {
  // Only the timer can sit idle; reads/writes always complete or fail on their own (or are cut by io.stop()).
  timer_.cancel();
}

bool Connection::Stopping() const { return run_.stop.load(std::memory_order_relaxed) || Clock::now() >= run_.run_end; }

void Connection::Connect() {
  socket_.async_connect(run_.target.endpoint, [this](const error_code& ec) { OnConnect(ec); });
}

void Connection::OnConnect(const error_code& ec) {
  if (ec) {
    ++stats_.connect_errors;
    if (g_logged_errors.fetch_add(1) < kMaxLoggedErrors) {
      std::fprintf(stderr, "incidentd-loadgen: connect: %s\n", ec.message().c_str());
    }
    error_code ignored;
    socket_.close(ignored);
    if (Stopping()) return Finish();
    timer_.expires_after(kConnectBackoff);
    timer_.async_wait([this](const error_code& wait_ec) {
      if (wait_ec || Stopping()) return Finish();
      Connect();
    });
    return;
  }
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (connected_once_) ++stats_.reconnects;
  connected_once_ = true;
  rbeg_ = rend_ = 0;
  Next();
}

void Connection::Next() {
  if (run_.stop.load(std::memory_order_relaxed)) return Finish();
  const Clock::time_point now = Clock::now();
  if (run_.interval_ns <= 0) {
    if (now >= run_.run_end) return Finish();
    return Send(now);
  }
  // Open loop: slot k is due at start + offset + k * interval whatever happened before, so a slow server shows up
  // as latency measured from the due time instead of as silently fewer requests.
  const auto due = run_.start + std::chrono::nanoseconds(
                                    static_cast<int64_t>(offset_ns_ + static_cast<double>(slot_) * run_.interval_ns));
  ++slot_;
  if (due >= run_.run_end) return Finish();
  if (due <= now) return Send(due);
  timer_.expires_at(due);
  timer_.async_wait([this, due](const error_code& ec) {
    if (ec || run_.stop.load(std::memory_order_relaxed)) return Finish();
    Send(due);
  });
}

void Connection::Send(Clock::time_point intended) {
  const uint64_t seq = run_.next_seq.fetch_add(run_.batch, std::memory_order_relaxed);
  if (seq >= run_.max_alerts) {
    run_.count_exhausted.store(true, std::memory_order_relaxed);
    run_.RequestStop();
    return Finish();
  }
  alerts_ = static_cast<size_t>(std::min<uint64_t>(run_.batch, run_.max_alerts - seq));
  body_ = run_.generator->Build(seq, alerts_, &scratch_);
  header_.assign(run_.header_prefix);
  char digits[24];
  const auto res = std::to_chars(digits, digits + sizeof(digits), body_.size);
  header_.append(digits, res.ptr);
  header_.append("\r\n\r\n");
  intended_ = intended;
  ++slots_sent_;
  in_flight_ = true;
  const std::array<asio::const_buffer, 5> buffers = {asio::buffer(header_),
                                                     asio::buffer(body_.parts[0].data(), body_.parts[0].size()),
                                                     asio::buffer(body_.parts[1].data(), body_.parts[1].size()),
                                                     asio::buffer(body_.parts[2].data(), body_.parts[2].size()),
                                                     asio::buffer(body_.parts[3].data(), body_.parts[3].size())};
  asio::async_write(socket_, buffers, [this](const error_code& ec, size_t) { OnWrite(ec); });
}

void Connection::OnWrite(const error_code& ec) {
  if (ec) return Fail("write", ec.message());
  phase_ = Phase::kHeaders;
  status_ = 0;
  close_after_ = false;
  // Bytes left from an earlier response would be a server bug (we never pipeline); let Parse() reject them.
  if (rbeg_ < rend_) {
    const int r = Parse();
    if (r < 0) return Fail("read", "malformed HTTP response");
    if (r > 0) return Complete();
  }
  Read();
}

void Connection::Read() {
  if (rbeg_ == rend_) {
    rbeg_ = rend_ = 0;
  } else if (rend_ == rbuf_.size()) {
    if (rbeg_ > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + rbeg_, rend_ - rbeg_);
      rend_ -= rbeg_;
      rbeg_ = 0;
    } else {
      rbuf_.resize(rbuf_.size() * 2);  // a header block bigger than the buffer; Parse() caps it
    }
  }
  socket_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                          [this](const error_code& ec, size_t n) { OnRead(ec, n); });
}

void Connection::OnRead(const error_code& ec, size_t n) {
  if (ec) {
    if (ec == asio::error::eof && phase_ == Phase::kUntilClose) return Complete();
    return Fail("read", ec == asio::error::eof ? "connection closed by server mid-response" : ec.message());
  }
  rend_ += n;
  const int r = Parse();
  if (r < 0) return Fail("read", "malformed HTTP response");
  if (r == 0) return Read();
  Complete();
}

int Connection::Parse() {
  for (;;) {
    const std::string_view avail(rbuf_.data() + rbeg_, rend_ - rbeg_);
    switch (phase_) {
      case Phase::kHeaders: {
        const size_t end = avail.find("\r\n\r\n");
        if (end == std::string_view::npos) return avail.size() > kMaxHeaderBytes ? -1 : 0;
        if (!ParseHead(avail.substr(0, end + 2))) return -1;
        rbeg_ += end + 4;
        break;  // ParseHead chose the next phase; 1xx interim responses loop back to kHeaders
      }
      case Phase::kBody:
      case Phase::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(avail.size(), remaining_));
        rbeg_ += take;
        remaining_ -= take;
        if (remaining_ > 0) return 0;
        if (phase_ == Phase::kBody) return 1;
        phase_ = Phase::kChunkCrlf;
        break;
      }
      case Phase::kChunkCrlf:
        if (avail.size() < 2) return 0;
        if (avail[0] != '\r' || avail[1] != '\n') return -1;
        rbeg_ += 2;
        phase_ = Phase::kChunkSize;
        break;
      case Phase::kChunkSize: {
        const size_t eol = avail.find("\r\n");
        if (eol == std::string_view::npos) return avail.size() > 1024 ? -1 : 0;
        uint64_t size = 0;
        const auto res = std::from_chars(avail.data(), avail.data() + eol, size, 16);
        if (res.ec != std::errc() || (res.ptr != avail.data() + eol && *res.ptr != ';' && *res.ptr != ' ')) return -1;
        rbeg_ += eol + 2;
        remaining_ = size;
        phase_ = size == 0 ? Phase::kTrailer : Phase::kChunkData;
        break;
      }
      case Phase::kTrailer: {
        const size_t eol = avail.find("\r\n");
        if (eol == std::string_view::npos) return avail.size() > kMaxHeaderBytes ? -1 : 0;
        rbeg_ += eol + 2;
        if (eol == 0) return 1;
        break;
      }
      case Phase::kUntilClose:
        rbeg_ = rend_;
        return 0;
    }
  }
}

bool Connection::ParseHead(std::string_view head) {
  // Status line: "HTTP/1.x NNN reason".
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') return false;
  int status = 0;
  const auto res = std::from_chars(head.data() + 9, head.data() + 12, status);
  if (res.ec != std::errc() || res.ptr != head.data() + 12 || status < 100 || status > 599) return false;
  const bool http10 = head[7] == '0';
  bool close = http10;
  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const size_t line_begin = pos + 2;
    const size_t line_end = head.find("\r\n", line_begin);
    const std::string_view line = head.substr(line_begin, line_end - line_begin);
    pos = line_end;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-length")) {
      const auto r = std::from_chars(value.data(), value.data() + value.size(), length);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) return false;
      has_length = true;
    } else if (IEquals(name, "transfer-encoding")) {
      chunked = IContains(value, "chunked");
    } else if (IEquals(name, "connection")) {
      if (IContains(value, "close")) close = true;
      if (http10 && IContains(value, "keep-alive")) close = false;
    }
  }
  status_ = status;
  close_after_ = close;
  remaining_ = 0;
  if (status < 200) {
    phase_ = Phase::kHeaders;
  } else if (status == 204 || status == 304) {
    phase_ = Phase::kBody;
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (has_length) {
    phase_ = Phase::kBody;
    remaining_ = length;
  } else {
    phase_ = Phase::kUntilClose;  // body delimited by EOF, so the connection cannot be reused
    close_after_ = true;
  }
  return true;
}

void Connection::Complete() {
  const Clock::time_point now = Clock::now();
  in_flight_ = false;
  ++stats_.total_requests;
  stats_.total_alerts += alerts_;
  // Counted by completion time, so backlog built up during warmup (open loop) still shows in the window.
  if (now >= run_.warmup_end) {
    ++stats_.requests;
    stats_.alerts += alerts_;
    ++stats_.status[static_cast<size_t>(status_)];
    if (status_ >= 200 && status_ < 300) stats_.accepted_alerts += alerts_;
    stats_.latency.Record(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - intended_).count()));
    stats_.last_completion = std::max(stats_.last_completion, now);
  }
  if (!close_after_) return Next();
  error_code ignored;
  socket_.close(ignored);
  if (Stopping()) return Finish();
  Connect();
}

void Connection::Fail(const char* what, const std::string& detail) {
  in_flight_ = false;
  if (Clock::now() >= run_.warmup_end) ++stats_.errors;
  if (g_logged_errors.fetch_add(1) < kMaxLoggedErrors) {
    std::fprintf(stderr, "incidentd-loadgen: %s: %s\n", what, detail.c_str());
  }
  error_code ignored;
  socket_.close(ignored);
  if (Stopping()) return Finish();
  Connect();
}

void Connection::Finish() {
  if (finished_) return;
  finished_ = true;
  if (run_.interval_ns > 0 && !run_.count_exhausted.load(std::memory_order_relaxed)) {
    // Slots due before run_end that were never sent: the schedule fell behind (slow server or connect failures).
    const double span_ns =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(run_.run_end - run_.start).count());
    const double due = span_ns > offset_ns_ ? std::ceil((span_ns - offset_ns_) / run_.interval_ns) : 0;
    const uint64_t due_slots = static_cast<uint64_t>(due);
    if (due_slots > slots_sent_) stats_.missed_requests += due_slots - slots_sent_;
  }
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace incidentd::bench
