#include "sources/kafka/consumer_lag.h"

#include <gtest/gtest.h>

namespace incidentd::kafka {
namespace {

// The shape of librdkafka 2.0's statistics, cut down to what is read.
TEST(ConsumerLagTest, ReadsEveryPartitionButTheInternalOne) {
  const std::string json = R"({"name":"incidentd#consumer-1","type":"consumer","topics":{
    "alerts":{"topic":"alerts","partitions":{
      "0":{"partition":0,"consumer_lag":12,"hi_offset":40},
      "1":{"partition":1,"consumer_lag":-1},
      "-1":{"partition":-1,"consumer_lag":-1}}},
    "pd":{"topic":"pd","partitions":{"0":{"partition":0,"consumer_lag":0}}}}})";
  std::vector<PartitionLag> lags = ParseConsumerLag(json);
  ASSERT_EQ(lags.size(), 3u);
  EXPECT_EQ(lags[0].topic, "alerts");
  EXPECT_EQ(lags[0].partition, 0);
  EXPECT_EQ(lags[0].lag, 12);
  EXPECT_EQ(lags[1].lag, -1);
  EXPECT_EQ(lags[2].topic, "pd");
  EXPECT_EQ(lags[2].lag, 0);
}

TEST(ConsumerLagTest, UnreadableStatisticsGiveNothing) {
  EXPECT_TRUE(ParseConsumerLag("").empty());
  EXPECT_TRUE(ParseConsumerLag("{\"topics\":").empty());
  EXPECT_TRUE(ParseConsumerLag(R"({"type":"consumer"})").empty());
  EXPECT_TRUE(ParseConsumerLag(R"({"topics":{"t":{"partitions":{"x":{"consumer_lag":1}}}}})").empty());
}

}  // namespace
}  // namespace incidentd::kafka
