#include "adapter/outbox/outbox.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "adapter/fhir/digest.h"
#include "adapter/fhir/sqlite.h"

namespace adapter::outbox {
namespace {

using fhir::IssueType;
using fhir::Outcome;
using fhir::sqlite::Database;
using fhir::sqlite::exec_int;
using fhir::sqlite::Statement;
using fhir::sqlite::Use;

constexpr int kBusyTimeoutMs = 10'000;

Outcome storage_error(std::string what) {
  return Outcome::of(fhir::Severity::error, IssueType::exception, "outbox: " + std::move(what));
}

std::int64_t to_ms(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}
Clock::time_point from_ms(std::int64_t ms) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

// Bodies live in their own table: the queue queries scan `message` rows, and SQLite would
// otherwise read through every large body's overflow pages to reach the columns after it.
constexpr std::string_view kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS message (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint        TEXT NOT NULL,
  document_id     TEXT NOT NULL,
  kind            TEXT NOT NULL,
  ordering_key    TEXT NOT NULL,
  body_sha256     TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  accepted_at     INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  outcome         TEXT NOT NULL DEFAULT '',
  finished_at     INTEGER
);
CREATE TABLE IF NOT EXISTS message_body (
  id   INTEGER PRIMARY KEY REFERENCES message (id),
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS message_same_body ON message (endpoint, body_sha256);
CREATE INDEX IF NOT EXISTS message_pending ON message (endpoint, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS message_queue ON message (endpoint, ordering_key, id) WHERE state = 'pending';
PRAGMA user_version = 1;
)SQL";
constexpr int kSchemaVersion = 1;

constexpr std::string_view kColumns =
    "id, endpoint, document_id, kind, ordering_key, state, attempts, accepted_at, "
    "next_attempt_at, last_error, outcome, finished_at";

State state_of(std::string_view text) {
  if (text == "delivered") return State::delivered;
  if (text == "dead") return State::dead;
  return State::pending;
}

Message read_message(const Statement& row, bool with_body) {
  Message message;
  message.id = row.integer(0);
  message.endpoint = row.text(1);
  message.document_id = row.text(2);
  message.kind = row.text(3);
  message.ordering_key = row.text(4);
  message.state = state_of(row.text(5));
  message.attempts = static_cast<int>(row.integer(6));
  message.accepted_at = from_ms(row.integer(7));
  message.next_attempt_at = from_ms(row.integer(8));
  message.last_error = row.text(9);
  message.outcome = row.text(10);
  if (!row.is_null(11)) message.finished_at = from_ms(row.integer(11));
  if (with_body) message.body = row.text(12);
  return message;
}

// The heads of the queues: pending messages with no earlier pending message for the same
// patient and endpoint. With an endpoint (the worker's case) the partial index
// message_pending is used, so the cost does not grow with the delivered history; an
// "OR endpoint = ?" would make SQLite scan the whole table on every call.
std::string heads(bool per_endpoint) {
  return std::string("FROM message m WHERE state = 'pending'") +
         (per_endpoint ? " AND endpoint = ?3" : "") +
         " AND NOT EXISTS (SELECT 1 FROM message p WHERE p.state = 'pending' AND p.endpoint = "
         "m.endpoint AND p.ordering_key = m.ordering_key AND p.id < m.id)";
}
std::string due_sql(bool per_endpoint) {
  return "SELECT " + std::string(kColumns) +
         ", (SELECT body FROM message_body b WHERE b.id = m.id) " + heads(per_endpoint) +
         " AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2";
}
std::string next_due_sql(bool per_endpoint) {
  return "SELECT min(next_attempt_at) " + heads(per_endpoint);
}

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::pending:
      return "pending";
    case State::delivered:
      return "delivered";
    case State::dead:
      return "dead";
  }
  return "pending";
}

struct Outbox::Impl {
  Database db;
  Statement begin, commit, rollback, find_same, insert, insert_body, due_at, due_any, next_due_at,
      next_due_any, pending, delivered, retry_later, dead, retry, get, list_all, list_state;

  explicit Impl(Database database)
      : db(std::move(database)),
        begin(db.get(), "BEGIN IMMEDIATE"),
        commit(db.get(), "COMMIT"),
        rollback(db.get(), "ROLLBACK"),
        find_same(db.get(), "SELECT id FROM message WHERE endpoint = ?1 AND body_sha256 = ?2"),
        insert(db.get(),
               "INSERT INTO message (endpoint, document_id, kind, ordering_key, body_sha256, "
               "accepted_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"),
        insert_body(db.get(),
                    "INSERT INTO message_body (id, body) VALUES (last_insert_rowid(), ?1)"),
        due_at(db.get(), due_sql(true)),
        due_any(db.get(), due_sql(false)),
        next_due_at(db.get(), next_due_sql(true)),
        next_due_any(db.get(), next_due_sql(false)),
        pending(db.get(), "SELECT count(*) FROM message WHERE state = 'pending'"),
        delivered(db.get(),
                  "UPDATE message SET state = 'delivered', attempts = attempts + 1, "
                  "finished_at = ?2, last_error = '' WHERE id = ?1 AND state = 'pending'"),
        retry_later(db.get(),
                    "UPDATE message SET attempts = attempts + 1, next_attempt_at = ?2, "
                    "last_error = ?3 WHERE id = ?1 AND state = 'pending'"),
        dead(db.get(),
             "UPDATE message SET state = 'dead', attempts = attempts + 1, last_error = ?2, "
             "outcome = ?3, finished_at = ?4 WHERE id = ?1 AND state = 'pending'"),
        retry(db.get(),
              "UPDATE message SET state = 'pending', next_attempt_at = ?2, finished_at = NULL "
              "WHERE id = ?1 AND state = 'dead'"),
        get(db.get(), std::string("SELECT ") + std::string(kColumns) +
                          ", (SELECT body FROM message_body b WHERE b.id = m.id) FROM message m "
                          "WHERE id = ?1"),
        list_all(db.get(), std::string("SELECT ") + std::string(kColumns) +
                               " FROM message ORDER BY id DESC LIMIT ?1"),
        list_state(db.get(), std::string("SELECT ") + std::string(kColumns) +
                                 " FROM message WHERE state = ?2 ORDER BY id DESC LIMIT ?1") {}

  bool prepared() const {
    for (const Statement* statement :
         {&begin, &commit, &rollback, &find_same, &insert, &insert_body, &due_at, &due_any,
          &next_due_at, &next_due_any, &pending, &delivered, &retry_later, &dead, &retry, &get,
          &list_all, &list_state}) {
      if (!statement->ok()) return false;
    }
    return true;
  }

  Outcome error(std::string_view what) const {
    return storage_error(std::string(what) + ": " + sqlite3_errmsg(db.get()));
  }

  // One UPDATE by id; whether a row changed.
  fhir::Result<bool> update(Statement& statement, std::string_view what) {
    Use use(statement);
    if (statement.step() != SQLITE_DONE) return error(what);
    return sqlite3_changes(db.get()) > 0;
  }
};

fhir::Result<Outbox> Outbox::open(const std::string& path, Sync sync) {
  std::error_code ignored;
  const auto folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
  const bool creating = !std::filesystem::exists(path, ignored);
  sqlite3* raw = nullptr;
  const int status =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(raw);
  if (status != SQLITE_OK) {
    return storage_error("cannot open " + path + ": " +
                         (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(status)));
  }
  // Patient data: readable by its owner only. chmod by name, never open() and close() the
  // file ourselves: closing any descriptor of a file drops every POSIX lock this process
  // holds on it, including those of the SQLite connections other threads have open.
  // SQLite gives the -wal and -shm files the database file's mode.
  if (creating) ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // WAL lets `send` commit while `deliver` reads; synchronous=FULL makes every commit
  // durable (the WAL is fsynced at each commit), which is what "accepted" promises.
  // NORMAL (the worker) syncs at checkpoints only: see Sync::worker. Reads go through a
  // memory map rather than a pread and a copy per page (bodies span many pages).
  auto exec = [&](const std::string& sql) -> std::optional<Outcome> {
    char* message = nullptr;
    if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) {
      return std::nullopt;
    }
    std::string text = message != nullptr ? message : sqlite3_errmsg(db.get());
    sqlite3_free(message);
    return storage_error("cannot prepare " + path + ": " + text);
  };
  if (auto failed = exec(std::string("PRAGMA journal_mode = WAL; PRAGMA synchronous = ") +
                         (sync == Sync::every_commit ? "FULL" : "NORMAL") +
                         "; PRAGMA foreign_keys = ON; PRAGMA mmap_size = 268435456;")) {
    return *failed;
  }
  // The schema is written once: opening an existing outbox (`outbox list` while the worker
  // runs) must not take the write lock.
  int version = 0;
  if (exec_int(db.get(), "PRAGMA user_version", version) && version < kSchemaVersion) {
    if (auto failed = exec("BEGIN IMMEDIATE;" + std::string(kSchema) + "COMMIT;")) return *failed;
  }
  auto impl = std::make_unique<Impl>(std::move(db));
  if (!impl->prepared()) return impl->error("cannot prepare statements");
  return Outbox(std::move(impl));
}

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::Outbox(Outbox&&) noexcept = default;
Outbox& Outbox::operator=(Outbox&&) noexcept = default;
Outbox::~Outbox() = default;

fhir::Result<std::vector<Accepted>> Outbox::enqueue(const std::vector<NewMessage>& messages,
                                                    Clock::time_point now) {
  Impl& db = *impl_;
  {
    Use use(db.begin);
    if (db.begin.step() != SQLITE_DONE) return db.error("cannot begin");
  }
  std::vector<Accepted> accepted;
  auto fail = [&](std::string_view what) -> fhir::Result<std::vector<Accepted>> {
    Outcome outcome = db.error(what);
    Use use(db.rollback);
    db.rollback.step();
    return outcome;
  };
  for (const auto& message : messages) {
    const std::string digest = fhir::sha256_hex(message.body);
    {
      Use use(db.find_same);
      db.find_same.bind(1, message.endpoint).bind(2, digest);
      if (db.find_same.step() == SQLITE_ROW) {
        accepted.push_back({db.find_same.integer(0), true});
        continue;
      }
    }
    Use use(db.insert);
    db.insert.bind(1, message.endpoint)
        .bind(2, message.document_id)
        .bind(3, message.kind)
        .bind(4, message.ordering_key)
        .bind(5, digest)
        .bind(6, to_ms(now));
    if (db.insert.step() != SQLITE_DONE) return fail("cannot store a message");
    accepted.push_back({sqlite3_last_insert_rowid(db.db.get()), false});
    Use use_body(db.insert_body);
    db.insert_body.bind(1, message.body);
    if (db.insert_body.step() != SQLITE_DONE) return fail("cannot store a message body");
  }
  Use use(db.commit);
  if (db.commit.step() != SQLITE_DONE) return fail("cannot commit");
  return accepted;
}

fhir::Result<std::vector<Message>> Outbox::due(Clock::time_point now, std::size_t limit,
                                               const std::string& endpoint) {
  Impl& db = *impl_;
  Statement& due = endpoint.empty() ? db.due_any : db.due_at;
  Use use(due);
  due.bind(1, to_ms(now)).bind(2, static_cast<std::int64_t>(limit));
  if (!endpoint.empty()) due.bind(3, endpoint);
  std::vector<Message> messages;
  int status = SQLITE_ROW;
  while ((status = due.step()) == SQLITE_ROW)
    messages.push_back(read_message(due, true));
  if (status != SQLITE_DONE) return db.error("cannot read due messages");
  return messages;
}

fhir::Result<std::optional<Clock::time_point>> Outbox::next_due(const std::string& endpoint) {
  Impl& db = *impl_;
  Statement& next_due = endpoint.empty() ? db.next_due_any : db.next_due_at;
  Use use(next_due);
  if (!endpoint.empty()) next_due.bind(3, endpoint);
  if (next_due.step() != SQLITE_ROW) return db.error("cannot read the next due time");
  if (next_due.is_null(0)) return std::optional<Clock::time_point>();
  return std::optional<Clock::time_point>(from_ms(next_due.integer(0)));
}

fhir::Result<std::size_t> Outbox::pending_count() {
  Impl& db = *impl_;
  Use use(db.pending);
  if (db.pending.step() != SQLITE_ROW) return db.error("cannot count pending messages");
  return static_cast<std::size_t>(db.pending.integer(0));
}

fhir::Result<bool> Outbox::mark_delivered(MessageId id, Clock::time_point now) {
  impl_->delivered.bind(1, id).bind(2, to_ms(now));
  return impl_->update(impl_->delivered, "cannot mark a message delivered");
}

fhir::Result<bool> Outbox::retry_later(MessageId id, Clock::time_point at,
                                       const std::string& error) {
  impl_->retry_later.bind(1, id).bind(2, to_ms(at)).bind(3, error);
  return impl_->update(impl_->retry_later, "cannot schedule a retry");
}

fhir::Result<bool> Outbox::mark_dead(MessageId id, const std::string& reason,
                                     const std::string& outcome_json, Clock::time_point now) {
  impl_->dead.bind(1, id).bind(2, reason).bind(3, outcome_json).bind(4, to_ms(now));
  return impl_->update(impl_->dead, "cannot move a message to the dead letters");
}

fhir::Result<bool> Outbox::retry(MessageId id, Clock::time_point now) {
  impl_->retry.bind(1, id).bind(2, to_ms(now));
  return impl_->update(impl_->retry, "cannot retry a dead letter");
}

fhir::Result<std::optional<Message>> Outbox::get(MessageId id) {
  Impl& db = *impl_;
  Use use(db.get);
  db.get.bind(1, id);
  const int status = db.get.step();
  if (status == SQLITE_DONE) return std::optional<Message>();
  if (status != SQLITE_ROW) return db.error("cannot read a message");
  return std::optional<Message>(read_message(db.get, true));
}

fhir::Result<std::vector<Message>> Outbox::list(std::optional<State> state, std::size_t limit) {
  Impl& db = *impl_;
  Statement& statement = state ? db.list_state : db.list_all;
  Use use(statement);
  statement.bind(1, static_cast<std::int64_t>(limit));
  if (state) statement.bind(2, to_string(*state));
  std::vector<Message> messages;
  int status = SQLITE_ROW;
  while ((status = statement.step()) == SQLITE_ROW)
    messages.push_back(read_message(statement, false));
  if (status != SQLITE_DONE) return db.error("cannot list messages");
  std::reverse(messages.begin(), messages.end());
  return messages;
}

fhir::Result<WorkerLock> WorkerLock::acquire(const std::string& outbox_path) {
  const std::string path = outbox_path + ".worker.lock";
  const int descriptor = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (descriptor < 0) {
    return storage_error("cannot open " + path + ": " + std::strerror(errno));
  }
  WorkerLock lock(descriptor);
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
    return storage_error("another delivery worker is running on " + outbox_path);
  }
  return lock;
}

WorkerLock::WorkerLock(WorkerLock&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)) {}
WorkerLock& WorkerLock::operator=(WorkerLock&& other) noexcept {
  if (this != &other) {
    if (descriptor_ >= 0) ::close(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, -1);
  }
  return *this;
}
WorkerLock::~WorkerLock() {
  if (descriptor_ >= 0) ::close(descriptor_);  // closing releases the flock
}

}  // namespace adapter::outbox
