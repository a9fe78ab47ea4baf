// The Kafka tests' broker and producers: MockKafka runs tests/kafka/mock_kafka (librdkafka's mock cluster in a
// process of its own, listening on 127.0.0.1) and sends it commands; KcatProduce produces with kcat, an independent
// client; Producer is a librdkafka producer for keyed or partitioned messages and for producing while a broker goes
// down. Every process is stopped by its PID when its owner goes.
#pragma once

#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace incidentd::testing {

// A child process with pipes to its stdin and from its stdout; stderr is inherited (the test's output).
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int in[2], out[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ), 0) << argv[0];
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~Child() {
    CloseInput();
    if (pid_ > 0 && !exit_code_) {
      // Given a moment to end on its own (end of input), then killed.
      if (!Wait(std::chrono::seconds(5))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    ::close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void Write(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(in_, data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  }
  void CloseInput() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  // The next line of stdout, waiting at most `within`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  // Waits for the exit, at most `within`; its code, or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      // Drains stdout meanwhile (or waits on it), so a child writing a lot never blocks.
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) {
        char buf[4096];
        ssize_t n = ::read(out_, buf, sizeof buf);
        if (n > 0) buffer_.append(buf, static_cast<size_t>(n));
      }
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }
  const std::string& output() const { return buffer_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffer_;
  std::optional<int> exit_code_;
};

// The mock cluster: `brokers` brokers, the topics given as "name:partitions".
class MockKafka {
 public:
  explicit MockKafka(const std::vector<std::string>& topics, int brokers = 3)
      : child_([&] {
          std::vector<std::string> argv{MOCK_KAFKA_BINARY, "--brokers", std::to_string(brokers)};
          for (const std::string& t : topics) argv.insert(argv.end(), {"--topic", t});
          return argv;
        }()) {
    std::optional<std::string> line = child_.ReadLine(std::chrono::seconds(10));
    if (line && line->starts_with("bootstrap ")) bootstrap_ = line->substr(10);
    EXPECT_FALSE(bootstrap_.empty()) << "mock_kafka did not start";
  }
  const std::string& bootstrap() const { return bootstrap_; }
  // Runs a command (mock_kafka.cc lists them); true when it answered ok.
  bool Command(const std::string& command) {
    child_.Write(command + "\n");
    std::optional<std::string> answer = child_.ReadLine(std::chrono::seconds(10));
    EXPECT_EQ(answer.value_or("no answer"), "ok") << command;
    return answer == "ok";
  }

 private:
  Child child_;
  std::string bootstrap_;
};

// Produces `messages` to `topic` with kcat, one message per line; with `partition` >= 0 all to that partition,
// otherwise each line is "key\tvalue" and the key chooses the partition. True when kcat succeeded.
inline bool KcatProduce(const std::string& bootstrap, const std::string& topic, const std::vector<std::string>& lines,
                        int partition = -1) {
  std::vector<std::string> argv{KCAT_BINARY, "-P", "-q", "-b", bootstrap, "-t", topic};
  if (partition >= 0) {
    argv.insert(argv.end(), {"-p", std::to_string(partition)});
  } else {
    argv.insert(argv.end(), {"-K", "\t"});
  }
  Child kcat(argv);
  for (const std::string& l : lines) kcat.Write(l + "\n");
  kcat.CloseInput();
  return kcat.Wait(std::chrono::seconds(30)) == 0;
}

// Consumes every message of `topic` from the start with kcat, as "partition offset headers value" lines.
inline std::vector<std::string> KcatConsume(const std::string& bootstrap, const std::string& topic) {
  Child kcat({KCAT_BINARY, "-C", "-q", "-e", "-b", bootstrap, "-t", topic, "-f", "%p %o %h %s\n"});
  kcat.CloseInput();
  std::vector<std::string> lines;
  if (kcat.Wait(std::chrono::seconds(30)) != 0) return lines;
  const std::string& out = kcat.output();
  for (size_t at = 0; at < out.size();) {
    size_t nl = out.find('\n', at);
    if (nl == std::string::npos) nl = out.size();
    if (nl > at) lines.push_back(out.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

// A librdkafka producer (acks=all, retrying), for messages to one partition or by key.
class Producer {
 public:
  explicit Producer(const std::string& bootstrap) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rd_kafka_conf_set(conf, "message.timeout.ms", "60000", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      auto* self = static_cast<Producer*>(opaque);
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->failed_;
      } else {
        ++self->delivered_;
      }
    });
    rd_kafka_conf_set_opaque(conf, this);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    EXPECT_NE(rk_, nullptr) << err;
  }
  ~Producer() {
    if (rk_ != nullptr) {
      rd_kafka_flush(rk_, 10000);
      rd_kafka_destroy(rk_);
    }
  }
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // partition -1: by key (librdkafka's default partitioner).
  void Produce(const std::string& topic, const std::string& key, const std::string& value, int32_t partition = -1) {
    for (;;) {
      rd_kafka_resp_err_t e =
          rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        EXPECT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
        break;
      }
      rd_kafka_poll(rk_, 10);  // the queue drains as deliveries are reported
    }
    rd_kafka_poll(rk_, 0);
  }
  // Waits until every message is delivered (or failed), at most `within`; true when all were delivered.
  bool Flush(std::chrono::milliseconds within) {
    return rd_kafka_flush(rk_, static_cast<int>(within.count())) == RD_KAFKA_RESP_ERR_NO_ERROR && failed_ == 0;
  }
  size_t delivered() const { return delivered_; }
  size_t failed() const { return failed_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  size_t delivered_ = 0, failed_ = 0;
};

}  // namespace incidentd::testing
