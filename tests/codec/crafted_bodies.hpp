// Event bodies written by hand to catch a fast decoder that answers differently from the
// reference: escapes, duplicates, wrong types, non-ASCII, trailing bytes, truncation.
#pragma once

#include <string>
#include <vector>

namespace vigil::test {

inline std::vector<std::string> crafted_event_bodies() {
  const std::string at = R"("at":"2026-11-28T01:34:22.123Z")";
  return {
      R"({"at":"2026-11-28T01:34:22.123Z","by":"ops","reason":"disk swap"})",
      R"({"reason":"disk swap","by":"ops",)" + at + "}",
      " \n{ " + at + R"( , "by" : "ops" , "reason" : "r" } )" + "\n",
      R"({"reason":"a \"quoted\" \\ back\/slash\n\t\b\f\r","by":"x",)" + at + "}",
      R"({"reason":"caf\u00e9 \ud83d\ude00","by":"x",)" + at + "}",
      "{\"reason\":\"caf\xc3\xa9\",\"by\":\"x\"," + at + "}",
      R"({"reason":"\u0041\u0000z","by":"x",)" + at + "}",
      R"({"re\u0061son":"escaped key","by":"x",)" + at + "}",
      R"({"reason":"first","reason":"last","by":"x",)" + at + "}",
      R"({"reason":"first","reason":7,"by":"x",)" + at + "}",
      R"({"reason":7,"reason":"last","by":"x",)" + at + "}",
      R"({"reason":"r","by":"x","extra":{"n":[1,2,{"k":null}]},)" + at + "}",
      R"({"reason":"r","by":"x","extra":"s",)" + at + "}",
      R"({"reason":"r",)" + at + "}",
      R"({"reason":"r","by":null,)" + at + "}",
      R"({"by":"x",)" + at + "}",
      R"({"reason":"r","by":"x"})",
      R"({"reason":"r","by":"x","at":"yesterday"})",
      R"({"reason":"r","by":"x","at":"2026-02-30T00:00:00Z"})",
      R"({"reason":"r","by":"x","at":"2026-11-28T01:34:22+01:00"})",
      R"({"reason":"r","by":"x","at":5})",
      R"({"reason":"r","by":"x",)" + at + "} trailing",
      R"({"reason":"r","by":"x",)" + at + "}{}",
      R"({"reason":"r","by":"x",)" + at,
      R"({"reason":"r","by":"x",)" + at + ",}",
      "{\"reason\":\"tab\there\",\"by\":\"x\"," + at + "}",
      "{\"reason\":\"bad \xff utf8\",\"by\":\"x\"," + at + "}",
      R"({"reason":"bad \x escape","by":"x",)" + at + "}",
      R"({"reason":"\u12","by":"x",)" + at + "}",
      R"(["reason","r"])",
      R"("just a string")",
      "",
      "{}",
      "null",
  };
}

}  // namespace vigil::test
