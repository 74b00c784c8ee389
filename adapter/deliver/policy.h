// What to do after one delivery attempt: the decision table of the delivery worker, kept
// apart from any I/O so it can be tested case by case (docs/configuration.md lists it).
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "adapter/config/config.h"
#include "adapter/deliver/fhir_client.h"

namespace adapter::deliver {

enum class Verdict {
  delivered,  // every entry accepted
  retry,      // transient: connection, timeout, 408, 429, 5xx — send again later
  conflict,   // 409 or 412: re-read and re-apply, then send again
  dead,       // permanent: any other 4xx — a person must look at it
};

struct Decision {
  Verdict verdict = Verdict::retry;
  std::string reason;                                   // one line for operators and the log
  std::optional<std::chrono::milliseconds> not_before;  // the server's Retry-After
  std::string outcome_json;  // the server's OperationOutcome for a dead letter (or ours)
  long status = 0;           // the HTTP status that decided, 0 for transport failures
};

// Classifies the answer to a transaction/batch POST (or a single request). For a
// transaction-response or batch-response, each entry's response.status counts, since a
// server that does not apply transactions atomically reports failures per entry.
Decision classify(const FhirResult& result);

// The delay before attempt number `attempts + 1`: exponential from initial_delay, capped at
// max_delay, with jitter drawn from [d·(1-jitter), d]; never shorter than the server's
// Retry-After.
std::chrono::milliseconds backoff(const config::RetryPolicy& policy, int attempts,
                                  std::optional<std::chrono::milliseconds> not_before,
                                  std::mt19937_64& random);

}  // namespace adapter::deliver
