// The durable outbox: what the adapter has accepted for delivery, in SQLite (WAL).
//
// A message is committed — written and fsynced, PRAGMA synchronous=FULL — before enqueue()
// returns, so an acknowledgement to a caller always means the message survives a crash.
// Messages for one ordering key (a patient) at one endpoint are delivered strictly in the
// order they were accepted: only the oldest pending one is ever due.
//
// One Outbox object per thread (SQLite connections are not shared); several processes may
// open the same file (`send` while `deliver` runs). Only one delivery worker should run per
// file: take the WorkerLock first.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/fhir/outcome.h"

namespace adapter::outbox {

using Clock = std::chrono::system_clock;
using MessageId = std::int64_t;

struct NewMessage {
  std::string endpoint;      // endpoint id in the configuration
  std::string document_id;   // the source document's business id (or the Bundle's id)
  std::string kind;          // input document kind, or "bundle"
  std::string ordering_key;  // delivery order is kept per key and endpoint (a patient)
  std::string body;          // the request: a transaction Bundle
};

enum class State { pending, delivered, dead };
std::string_view to_string(State state);

struct Message {
  MessageId id = 0;
  std::string endpoint;
  std::string document_id;
  std::string kind;
  std::string ordering_key;
  std::string body;  // filled by get() and due(); list() leaves it empty
  State state = State::pending;
  int attempts = 0;
  Clock::time_point accepted_at;
  Clock::time_point next_attempt_at;
  std::string last_error;  // the last failure, for operators
  std::string outcome;     // a dead letter's OperationOutcome from the server (JSON), if any
  std::optional<Clock::time_point> finished_at;  // delivered or dead
};

struct Accepted {
  MessageId id = 0;
  bool already_present = false;  // the same body for the same endpoint was accepted before
};

class Outbox {
 public:
  enum class Sync {
    // Every commit is fsynced: what enqueue() accepted survives a power loss. For `send`.
    every_commit,
    // Commits survive the process being killed but the last few may be lost on power
    // loss. For the delivery worker, whose records (delivered, retry at, dead) can only
    // be lost to an earlier state, and an earlier state only means a resend — which the
    // conditional requests make harmless. Saves an fsync per message.
    worker,
  };
  // Opens or creates the file (and its folder), in WAL mode.
  static fhir::Result<Outbox> open(const std::string& path, Sync sync = Sync::every_commit);

  Outbox(Outbox&&) noexcept;
  Outbox& operator=(Outbox&&) noexcept;
  ~Outbox();

  // All messages in one transaction; committed and synced when this returns. Accepting
  // the same body for the same endpoint again returns the earlier message (idempotent).
  fhir::Result<std::vector<Accepted>> enqueue(const std::vector<NewMessage>& messages,
                                              Clock::time_point now = Clock::now());

  // Pending messages whose next attempt is due at `now`, at most one per ordering key and
  // endpoint (the oldest), oldest first. `endpoint` empty = all endpoints.
  fhir::Result<std::vector<Message>> due(Clock::time_point now, std::size_t limit,
                                         const std::string& endpoint = {});
  // When the next pending message becomes due; nullopt when nothing is pending.
  fhir::Result<std::optional<Clock::time_point>> next_due(const std::string& endpoint = {});
  fhir::Result<std::size_t> pending_count();

  fhir::Result<bool> mark_delivered(MessageId id, Clock::time_point now = Clock::now());
  fhir::Result<bool> retry_later(MessageId id, Clock::time_point at, const std::string& error);
  fhir::Result<bool> mark_dead(MessageId id, const std::string& reason,
                               const std::string& outcome_json,
                               Clock::time_point now = Clock::now());
  // A dead letter back to pending, due now; false when `id` is not a dead letter.
  fhir::Result<bool> retry(MessageId id, Clock::time_point now = Clock::now());

  fhir::Result<std::optional<Message>> get(MessageId id);
  // Without bodies; `state` nullopt = every message. Newest last.
  fhir::Result<std::vector<Message>> list(std::optional<State> state, std::size_t limit = 1000);

  struct Impl;

 private:
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An exclusive advisory lock (flock) on "<outbox path>.worker.lock", held while alive, so
// that two delivery workers never send from the same outbox at once.
class WorkerLock {
 public:
  static fhir::Result<WorkerLock> acquire(const std::string& outbox_path);
  WorkerLock(WorkerLock&&) noexcept;
  WorkerLock& operator=(WorkerLock&&) noexcept;
  ~WorkerLock();

 private:
  explicit WorkerLock(int descriptor) : descriptor_(descriptor) {}
  int descriptor_ = -1;
};

}  // namespace adapter::outbox
