// Linked into every program that runs CAF over TLS (sonnetd, sonnet): clears OpenSSL's error
// queue before each TLS read, write and handshake step that CAF 0.17 makes.
//
// Why: OpenSSL keeps one error queue per thread, and SSL_get_error() reports SSL_ERROR_SSL
// whenever that queue is not empty. CAF 0.17 drains the queue only inside a log statement,
// which Debian's build compiles out, so one failed handshake (a peer with a certificate of
// another CA) leaves errors on the multiplexer thread, and the next read on any healthy TLS
// link of that thread is taken for a failure: every link dropped and reconnected, again at each
// attempt of the bad peer. OpenSSL's documentation asks callers to clear the queue before each
// I/O call; these definitions interpose libssl's for CAF (the executable's symbols come first)
// and do that, then call the real functions.

#include <dlfcn.h>

struct ssl_st;

namespace {

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

void clear_error_queue() {
  static auto clear = real<void (*)()>("ERR_clear_error");
  if (clear)
    clear();
}

} // namespace

extern "C" {

int SSL_read(ssl_st* s, void* buf, int num) {
  static auto f = real<int (*)(ssl_st*, void*, int)>("SSL_read");
  clear_error_queue();
  return f(s, buf, num);
}

int SSL_write(ssl_st* s, const void* buf, int num) {
  static auto f = real<int (*)(ssl_st*, const void*, int)>("SSL_write");
  clear_error_queue();
  return f(s, buf, num);
}

int SSL_connect(ssl_st* s) {
  static auto f = real<int (*)(ssl_st*)>("SSL_connect");
  clear_error_queue();
  return f(s);
}

int SSL_accept(ssl_st* s) {
  static auto f = real<int (*)(ssl_st*)>("SSL_accept");
  clear_error_queue();
  return f(s);
}

} // extern "C"
