// mock_kafka: a Kafka-protocol cluster on loopback for the tests and benchmarks, run as its own process so that the
// clients under test (incidentd, kcat) reach it over real sockets, as they would a real cluster.
//
// It is librdkafka's mock cluster (rdkafka_mock.h). Usage:
//   mock_kafka [--brokers N] [--topic NAME:PARTITIONS]...
// prints "bootstrap HOST:PORT,…" on stdout once the cluster listens, then reads one command per line on stdin and
// answers each with "ok" or "error: …":
//   down BROKER | up BROKER                    a broker refuses (or takes again) connections
//   leader TOPIC PARTITION BROKER              moves a partition's leader
//   topic NAME PARTITIONS                      creates a topic
//   errors APIKEY COUNT ERRCODE                the next COUNT requests of APIKEY fail with ERRCODE
// and exits on end of input or "quit". Every listener is on 127.0.0.1.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool CreateTopic(rd_kafka_mock_cluster_t* mc, const std::string& name, int partitions) {
  return rd_kafka_mock_topic_create(mc, name.c_str(), partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::string Run(rd_kafka_mock_cluster_t* mc, const std::string& line) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  auto check = [](rd_kafka_resp_err_t e) {
    return e == RD_KAFKA_RESP_ERR_NO_ERROR ? std::string("ok") : std::string("error: ") + rd_kafka_err2str(e);
  };
  if (verb == "down" || verb == "up") {
    int32_t broker;
    if (!(in >> broker)) return "error: " + verb + " BROKER";
    return check(verb == "down" ? rd_kafka_mock_broker_set_down(mc, broker) : rd_kafka_mock_broker_set_up(mc, broker));
  }
  if (verb == "leader") {
    std::string topic;
    int32_t partition, broker;
    if (!(in >> topic >> partition >> broker)) return "error: leader TOPIC PARTITION BROKER";
    return check(rd_kafka_mock_partition_set_leader(mc, topic.c_str(), partition, broker));
  }
  if (verb == "topic") {
    std::string name;
    int partitions;
    if (!(in >> name >> partitions)) return "error: topic NAME PARTITIONS";
    return CreateTopic(mc, name, partitions) ? "ok" : "error: cannot create " + name;
  }
  if (verb == "errors") {
    int apikey, count, code;
    if (!(in >> apikey >> count >> code)) return "error: errors APIKEY COUNT ERRCODE";
    std::vector<rd_kafka_resp_err_t> errs(static_cast<size_t>(count), static_cast<rd_kafka_resp_err_t>(code));
    rd_kafka_mock_push_request_errors_array(mc, static_cast<int16_t>(apikey), errs.size(), errs.data());
    return "ok";
  }
  return "error: unknown command '" + verb + "'";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--brokers" && i + 1 < argc) {
      brokers = std::atoi(argv[++i]);
    } else if (a == "--topic" && i + 1 < argc) {
      std::string t = argv[++i];
      size_t colon = t.rfind(':');
      if (colon == std::string::npos) {
        std::cerr << "mock_kafka: --topic NAME:PARTITIONS\n";
        return 2;
      }
      topics.emplace_back(t.substr(0, colon), std::atoi(t.c_str() + colon + 1));
    } else {
      std::cerr << "usage: mock_kafka [--brokers N] [--topic NAME:PARTITIONS]...\n";
      return 2;
    }
  }
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle exists only to own the cluster; it never connects anywhere.
  rd_kafka_conf_set(conf, "bootstrap.servers", "", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    std::cerr << "mock_kafka: " << err << '\n';
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) {
    std::cerr << "mock_kafka: cannot create the cluster\n";
    return 1;
  }
  for (const auto& [name, partitions] : topics) {
    if (!CreateTopic(mc, name, partitions)) {
      std::cerr << "mock_kafka: cannot create topic " << name << '\n';
      return 1;
    }
  }
  std::cout << "bootstrap " << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") {
    if (line.empty()) continue;
    std::cout << Run(mc, line) << std::endl;
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
