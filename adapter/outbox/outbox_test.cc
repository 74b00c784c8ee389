#include "adapter/outbox/outbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

namespace adapter::outbox {
namespace {

using namespace std::chrono_literals;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("outbox_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    path_ = (folder_ / "state" / "outbox.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  Outbox open() {
    auto outbox = Outbox::open(path_);
    EXPECT_TRUE(outbox.ok()) << (outbox.ok() ? "" : outbox.problems().to_json());
    return std::move(outbox).value();
  }

  static NewMessage message(std::string endpoint, std::string key, std::string body) {
    return {std::move(endpoint), "doc-" + body, "referral", std::move(key), std::move(body)};
  }

  std::filesystem::path folder_;
  std::string path_;
  const Clock::time_point t0_ = Clock::time_point(std::chrono::hours(500'000));
};

TEST_F(OutboxTest, WhatIsAcceptedSurvivesReopeningAndTheFileIsPrivate) {
  {
    Outbox outbox = open();
    auto accepted =
        outbox.enqueue({message("hospital", "p1", "a"), message("kommune", "p1", "a")}, t0_);
    ASSERT_TRUE(accepted.ok());
    EXPECT_EQ(accepted->size(), 2U);
  }
  Outbox reopened = open();
  auto pending = reopened.pending_count();
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(*pending, 2U);
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
}

TEST_F(OutboxTest, TheSameBodyForTheSameEndpointIsAcceptedOnce) {
  Outbox outbox = open();
  auto first = outbox.enqueue({message("hospital", "p1", "a")}, t0_);
  auto second = outbox.enqueue({message("hospital", "p1", "a")}, t0_ + 1s);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE((*first)[0].already_present);
  EXPECT_TRUE((*second)[0].already_present);
  EXPECT_EQ((*first)[0].id, (*second)[0].id);
  EXPECT_EQ(*outbox.pending_count(), 1U);
}

TEST_F(OutboxTest, OnlyTheOldestPendingMessagePerPatientAndEndpointIsDue) {
  Outbox outbox = open();
  auto ids = outbox.enqueue({message("hospital", "p1", "a"), message("hospital", "p1", "b"),
                             message("hospital", "p2", "c"), message("kommune", "p1", "d")},
                            t0_);
  ASSERT_TRUE(ids.ok());
  auto due = outbox.due(t0_, 10);
  ASSERT_TRUE(due.ok());
  std::vector<std::string> bodies;
  for (const auto& m : *due)
    bodies.push_back(m.body);
  EXPECT_THAT(bodies, ::testing::ElementsAre("a", "c", "d"));

  // "a" waits for a retry: "b" must still wait behind it, order per patient is kept.
  ASSERT_TRUE(outbox.retry_later((*ids)[0].id, t0_ + 10s, "HTTP 503").ok());
  due = outbox.due(t0_ + 1s, 10, "hospital");
  bodies.clear();
  for (const auto& m : *due)
    bodies.push_back(m.body);
  EXPECT_THAT(bodies, ::testing::ElementsAre("c"));
  EXPECT_EQ(outbox.next_due("hospital")->value(), t0_);  // "c" is due now

  ASSERT_TRUE(outbox.mark_delivered((*ids)[2].id, t0_ + 1s).ok());
  EXPECT_EQ(outbox.next_due("hospital")->value(), t0_ + 10s);
  due = outbox.due(t0_ + 10s, 10, "hospital");
  ASSERT_EQ(due->size(), 1U);
  EXPECT_EQ((*due)[0].body, "a");
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "HTTP 503");
}

TEST_F(OutboxTest, DeadLettersKeepTheOutcomeAndCanBeRetried) {
  Outbox outbox = open();
  auto ids = outbox.enqueue({message("hospital", "p1", "a"), message("hospital", "p1", "b")}, t0_);
  const MessageId a = (*ids)[0].id;
  ASSERT_TRUE(*outbox.mark_dead(a, "HTTP 422", R"({"resourceType":"OperationOutcome"})", t0_));
  EXPECT_FALSE(*outbox.mark_delivered(a, t0_));  // a dead letter is not pending any more

  // A dead letter does not hold up the rest of its patient's messages.
  auto due = outbox.due(t0_, 10);
  ASSERT_EQ(due->size(), 1U);
  EXPECT_EQ((*due)[0].body, "b");

  auto dead = outbox.list(State::dead);
  ASSERT_EQ(dead->size(), 1U);
  EXPECT_EQ((*dead)[0].last_error, "HTTP 422");
  EXPECT_EQ((*dead)[0].outcome, R"({"resourceType":"OperationOutcome"})");
  EXPECT_TRUE((*dead)[0].body.empty());
  EXPECT_TRUE((*dead)[0].finished_at.has_value());

  EXPECT_TRUE(*outbox.retry(a, t0_ + 5s));
  EXPECT_FALSE(*outbox.retry(a, t0_ + 5s));  // no longer dead
  auto message = outbox.get(a);
  ASSERT_TRUE(message->has_value());
  EXPECT_EQ((*message)->state, State::pending);
  EXPECT_EQ((*message)->next_attempt_at, t0_ + 5s);
  EXPECT_FALSE(outbox.get(9999)->has_value());
}

TEST_F(OutboxTest, TwoConnectionsSeeEachOthersCommits) {
  Outbox sender = open();
  Outbox worker = open();
  ASSERT_TRUE(sender.enqueue({message("hospital", "p1", "a")}, t0_).ok());
  auto due = worker.due(t0_, 10);
  ASSERT_EQ(due->size(), 1U);
  ASSERT_TRUE(*worker.mark_delivered((*due)[0].id, t0_));
  EXPECT_EQ(*sender.pending_count(), 0U);
}

TEST_F(OutboxTest, OnlyOneWorkerHoldsTheLock) {
  Outbox outbox = open();
  auto first = WorkerLock::acquire(path_);
  ASSERT_TRUE(first.ok());
  auto second = WorkerLock::acquire(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.problems().to_json(), ::testing::HasSubstr("another delivery worker"));
  { auto released = std::move(first).value(); }
  EXPECT_TRUE(WorkerLock::acquire(path_).ok());
}

TEST_F(OutboxTest, AnUnwritablePlaceIsAnErrorValue) {
  auto outbox = Outbox::open("/proc/no-such-folder/outbox.db");
  ASSERT_FALSE(outbox.ok());
  EXPECT_THAT(outbox.problems().to_json(), ::testing::HasSubstr("outbox: cannot open"));
}

}  // namespace
}  // namespace adapter::outbox
