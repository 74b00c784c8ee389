#include "adapter/map/uuid.h"

#include <gtest/gtest.h>

namespace adapter::map {
namespace {

TEST(Uuid, Version5MatchesPublishedValues) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") and uuid5(NAMESPACE_URL, …).
  const Uuid dns = *parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(to_string(uuid_v5(dns, "python.org")), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_EQ(to_string(uuid_v5(url_namespace(), "http://python.org/")),
            "4c565f0d-3f5a-5890-b41b-20cf47701c5e");
}

TEST(Uuid, ParseRejectsMalformedText) {
  EXPECT_FALSE(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c"));
  EXPECT_FALSE(parse_uuid("6ba7b810x9dad-11d1-80b4-00c04fd430c8"));
  EXPECT_FALSE(parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430cg"));
  EXPECT_EQ(to_string(*parse_uuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8")),
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
}

TEST(Uuid, SameNameSameUuidDifferentNameDifferentUuid) {
  const Uuid ns = uuid_v5(url_namespace(), "https://fhir.tsb-adapter.no");
  EXPECT_EQ(uuid_v5(ns, "a"), uuid_v5(ns, "a"));
  EXPECT_NE(uuid_v5(ns, "a"), uuid_v5(ns, "b"));
}

}  // namespace
}  // namespace adapter::map
