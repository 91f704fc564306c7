// Query-string parsing.
#include <catch2/catch.hpp>

#include "http/query.hpp"

using vigil::http::query;

TEST_CASE("query strings give flags, values and percent-decoded text", "[http][query]") {
  auto q = query::parse("verbose&target=health&for=1s&msg=a%20b+c&empty=");
  REQUIRE(q);
  CHECK(q->has("verbose"));
  CHECK(q->get("verbose") == "");
  CHECK(q->get("target") == "health");
  CHECK(q->get("msg") == "a b c");
  CHECK(q->get("empty") == "");
  CHECK_FALSE(q->has("missing"));
  CHECK(query::parse("")->has("anything") == false);
  CHECK(query::parse("a=1&&b=2")->get("b") == "2");
  CHECK(query::parse("a=1&a=2")->get("a") == "1");
}

TEST_CASE("malformed percent escapes are refused, not guessed", "[http][query]") {
  CHECK_FALSE(query::parse("a=%zz"));
  CHECK_FALSE(query::parse("a=%2"));
  CHECK_FALSE(query::parse("a=%"));
  CHECK_FALSE(query::parse("%g1=x"));
  CHECK(query::parse("a=%41")->get("a") == "A");
}
