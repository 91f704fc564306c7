// A libcurl easy handle in a multi handle of its own, so that every wait can also poll the
// caller's stop descriptor (curl_multi_poll's extra descriptors).
#include "app/http_transfer.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app/http_url.hpp"
#include "model/number.hpp"

namespace vigil::app {
namespace {

/// Hosts no request goes to through a proxy: loopback, and the environment's no_proxy.
std::string no_proxy_list() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    if (std::string_view{v} == "*") return "*";
    list += ',';
    list += v;
  }
  return list;
}

/// curl_global_init once per process, before the first handle; cleaned up at exit.
struct curl_library {
  curl_library() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~curl_library() { curl_global_cleanup(); }
};

void ensure_curl() { static const curl_library library; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool has_header(const http_request& req, const std::string& lower_name) {
  return std::any_of(req.headers.begin(), req.headers.end(),
                     [&](const auto& h) { return ascii_lower(h.first) == lower_name; });
}

}  // namespace

std::string seconds_text(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return text;
}

std::string http_head::header(const std::string& lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

struct http_transfer::impl {
  callbacks cb;
  std::chrono::milliseconds connect_timeout;
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  curl_slist* header_list = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  http_head head;
  bool head_done = false;
  bool aborted = false;
  bool connected = false;
  int sock = -1;
  http_end end = http_end::running;
  std::string detail;

  // One header line of the response (libcurl hands them over whole, status line first).
  static size_t on_header(char* p, size_t size, size_t n, void* self) {
    auto& t = *static_cast<impl*>(self);
    const size_t bytes = size * n;
    const std::string_view line = trim(std::string_view{p, bytes});
    if (line.rfind("HTTP/", 0) == 0) {  // a new head: a 1xx, or the final one
      t.head = http_head{};
      const size_t sp = line.find(' ');
      if (sp != std::string_view::npos && line.size() >= sp + 4) {
        const std::string_view code = line.substr(sp + 1, 3);
        if (const auto status = model::parse_uint(code)) t.head.status = static_cast<int>(*status);
        if (line.size() > sp + 5) t.head.reason = std::string{trim(line.substr(sp + 5))};
      }
    } else if (line.empty()) {
      if (t.head.status >= 100 && t.head.status < 200) return bytes;  // an interim answer
      t.head_done = true;
      if (t.cb.on_head && !t.cb.on_head(t.head)) {
        t.aborted = true;
        return 0;
      }
    } else if (const size_t colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
      t.head.headers.emplace_back(ascii_lower(std::string{line.substr(0, colon)}),
                                  std::string{trim(line.substr(colon + 1))});
    }
    return bytes;
  }

  static size_t on_write(char* p, size_t size, size_t n, void* self) {
    auto& t = *static_cast<impl*>(self);
    if (t.cb.on_body && !t.cb.on_body(std::string_view{p, size * n})) {
      t.aborted = true;
      return 0;
    }
    return size * n;
  }

  static int on_socket(void* self, curl_socket_t fd, curlsocktype) {
    static_cast<impl*>(self)->sock = fd;
    return CURL_SOCKOPT_OK;
  }

  // After the connection is made, right before the request goes out.
  static int on_connected(void* self, char*, char*, int, int) {
    static_cast<impl*>(self)->connected = true;
    return CURL_PREREQFUNC_OK;
  }

  void finish(CURLcode rc) {
    long os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    const std::string os = os_errno != 0 ? std::strerror(static_cast<int>(os_errno)) : "";
    detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_OK:
        end = http_end::complete;
        detail.clear();
        return;
      case CURLE_WRITE_ERROR:
        end = aborted ? http_end::aborted : http_end::failed;
        return;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        end = http_end::cannot_resolve;
        return;
      case CURLE_COULDNT_CONNECT:
        end = http_end::cannot_connect;
        if (!os.empty()) detail = os;
        return;
      case CURLE_OPERATION_TIMEDOUT:  // only connecting has a libcurl timeout here
        end = connected ? http_end::failed : http_end::cannot_connect;
        if (!connected) detail = "no answer within " + seconds_text(connect_timeout);
        return;
      case CURLE_SEND_ERROR:
        end = http_end::send_failed;
        if (!os.empty()) detail = os;
        return;
      case CURLE_GOT_NOTHING:
        end = http_end::nothing;
        return;
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_UNSUPPORTED_PROTOCOL:  // HTTP/0.9, which libcurl refuses
        end = connected ? http_end::not_http : http_end::failed;
        return;
      case CURLE_PARTIAL_FILE:
        end = http_end::truncated;
        return;
      case CURLE_RECV_ERROR:
        end = http_end::failed;
        if (!os.empty()) detail = os;
        return;
      default:
        end = http_end::failed;
        return;
    }
  }
};

http_connections::http_connections() {
  ensure_curl();
  CURLSH* share = curl_share_init();
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  share_ = share;
}

http_connections::~http_connections() { curl_share_cleanup(static_cast<CURLSH*>(share_)); }

http_transfer::http_transfer(const http_request& req, callbacks cb, http_connections* reuse)
    : impl_(new impl) {
  ensure_curl();
  impl& t = *impl_;
  t.cb = std::move(cb);
  t.connect_timeout = req.connect_timeout;
  t.easy = curl_easy_init();
  t.multi = curl_multi_init();
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // threads; and SIGPIPE never comes (MSG_NOSIGNAL)
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);  // the target goes out as the caller wrote it
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  // The environment's http_proxy is used, but never for this machine (a daemon on loopback),
  // nor for what no_proxy names.
  curl_easy_setopt(e, CURLOPT_NOPROXY, req.use_proxy ? no_proxy_list().c_str() : "*");
  // Ending a transfer (Ctrl-C) does not wait for a name lookup still going on.
  curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  if (reuse != nullptr) curl_easy_setopt(e, CURLOPT_SHARE, static_cast<CURLSH*>(reuse->share_));
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &impl::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &impl::on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, &impl::on_socket);
  curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, &t);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &impl::on_connected);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, &t);

  const bool sends_body = !(req.body.empty() && (req.method == "GET" || req.method == "HEAD"));
  if (req.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req.body.c_str());
    if (req.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  auto add = [&t](const std::string& line) {
    t.header_list = curl_slist_append(t.header_list, line.c_str());
  };
  for (const auto& [name, value] : req.headers) add(name + ": " + value);
  add("Expect:");  // the body goes out at once, as it always did: no 100-continue round trip
  if (sends_body && !has_header(req, "content-type"))
    add(req.body.empty() ? "Content-Type:" : "Content-Type: application/json");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
  curl_multi_add_handle(t.multi, e);
}

http_transfer::~http_transfer() {
  curl_multi_remove_handle(impl_->multi, impl_->easy);
  curl_easy_cleanup(impl_->easy);
  curl_multi_cleanup(impl_->multi);
  curl_slist_free_all(impl_->header_list);
}

bool http_transfer::wait(std::chrono::milliseconds max, int stop_fd) {
  if (finished()) return false;
  curl_waitfd stop{stop_fd, CURL_WAIT_POLLIN, 0};
  const bool watch_stop = stop_fd >= 0;
  const auto ms = static_cast<int>(std::clamp<int64_t>(max.count(), 0, 1 << 30));
  int ready = 0;
  // A signal (EINTR) returns early; its handler made stop_fd readable, which the next wait sees.
  curl_multi_poll(impl_->multi, watch_stop ? &stop : nullptr, watch_stop ? 1 : 0, ms, &ready);
  if (watch_stop && (stop.revents & CURL_WAIT_POLLIN)) return true;
  pump();
  return false;
}

void http_transfer::pump() {
  if (finished()) return;
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(impl_->multi, &left))
    if (m->msg == CURLMSG_DONE) impl_->finish(m->data.result);
}

http_end http_transfer::end() const { return impl_->end; }
const std::string& http_transfer::detail() const { return impl_->detail; }
bool http_transfer::connected() const { return impl_->connected; }
bool http_transfer::head_received() const { return impl_->head_done; }
const http_head& http_transfer::head() const { return impl_->head; }
int http_transfer::socket() const { return impl_->sock; }

}  // namespace vigil::app
