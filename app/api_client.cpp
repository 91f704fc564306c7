// Requests of the client commands and how their failures read.
#include "app/api_client.hpp"
#include "app/json_text.hpp"

#include <cctype>
#include <ostream>

namespace vigil::app {

using json = nlohmann::json;

std::string escape_segment(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

fetch_response api::call(const std::string& method, const std::string& path,
                         const std::string& body) {
  fetch_request req;
  req.url = c_.url;
  req.method = method;
  req.target = c_.url.prefix + path;
  req.body = body;
  req.headers = c_.auth_headers();
  req.timeout = c_.timeout;
  fetch_response r = fetch(req);
  if (!r.answered && r.cut_off && !body.empty()) {
    // The daemon reads a body far over its --max-body no further and closes the connection.
    err_ << "vigil: the request is too large: " << c_.url.text() << " closed the connection on a "
         << body.size()
         << "-byte body without answering (larger than its --max-body, or it stopped: " << r.error
         << ")\n";
    throw stop{exit_refused};
  }
  if (!r.answered) {
    err_ << "vigil: " << c_.url.text() << " is unreachable: " << r.error << "\n";
    throw stop{exit_unreachable};
  }
  return r;
}

json api::parse(const fetch_response& r, const std::string& path) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    err_ << "vigil: " << c_.url.text() << path << " answered HTTP " << r.status
         << " with a body that is not JSON; is this a vigil daemon?\n";
    throw stop{exit_unreachable};
  }
  return j;
}

void api::refusal(const std::string& what, const fetch_response& r) {
  const json j = json::parse(r.body, nullptr, false);
  err_ << "vigil: " << what << ": refused: HTTP " << r.status;
  if (j.is_object() && j.contains("error")) {
    err_ << " " << text(j, "error") << ": " << text(j, "detail", "");
    if (j.contains("field") && j["field"].is_string())
      err_ << " (field " << j["field"].get<std::string>() << ")";
  } else if (!r.head.reason.empty()) {
    err_ << " " << r.head.reason;
  }
  err_ << "\n";
}

json api::expect_ok(const std::string& what, const std::string& method, const std::string& path,
                    const std::string& body) {
  const auto r = call(method, path, body);
  if (r.status < 200 || r.status >= 300) {
    refusal(what, r);
    throw stop{exit_refused};
  }
  return parse(r, path);
}

}  // namespace vigil::app
