// The Norwegian calendar as FHIRPath functions, for mapping templates, invariants and
// consent rules: deadlines count in working days (virkedager), and FHIRPath has none.
//
//   @2026-12-22.addWorkingDays(10)          → @2027-01-07 (Christmas and New Year skipped)
//   @2026-12-25.isWorkingDay()              → false
//   @2026-12-22.workingDaysUntil(@2027-01-07) → 10
//
// The input may be a Date or a DateTime (its date part counts); other inputs are errors.
#pragma once

#include "adapter/fhirpath/expression.h"

namespace adapter::norway {

void add_calendar_functions(fhirpath::FunctionRegistry& registry);

}  // namespace adapter::norway
