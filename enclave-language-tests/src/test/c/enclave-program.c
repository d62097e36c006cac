/* The language matrix's C enclave program (built twice: dynamic and -static). An ordinary enclave program:
 * raw ioctl on /dev/nsm with CBOR as AWS's nsm-api crate encodes it, AF_VSOCK sockets, no nitro-emu code.
 *
 *   enclave-program NONCE_HEX ECHO_PORT LISTEN_PORT
 *
 * Steps and stdout lines: the module README ("Program contract"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NSM_IOCTL_RAW 0xC0200A00u
#define NSM_RESPONSE_MAX 0x3000
#define ECHO_BYTES 65536
#define ACCEPT_TIMEOUT_MS 30000
#define READ_TIMEOUT_SECONDS 30
#define PARENT_CID 3

struct nsm_raw { uint64_t request_addr, request_len, response_addr, response_len; };

static void say(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  putchar('\n');
  fflush(stdout);
}

static _Noreturn void fail(const char *step, const char *format, ...) {
  char detail[512];
  va_list args;
  va_start(args, format);
  vsnprintf(detail, sizeof detail, format, args);
  va_end(args);
  say("error step=%s detail=%s", step, detail);
  exit(1);
}

static void print_hex(const char *prefix, const uint8_t *bytes, size_t len) {
  fputs(prefix, stdout);
  for (size_t i = 0; i < len; i++) printf("%02x", bytes[i]);
  putchar('\n');
  fflush(stdout);
}

/* ---- CBOR: the few shapes the NSM protocol uses (definite lengths only, as serde_cbor writes) ---- */

struct cbor { const uint8_t *at, *end; };
struct item { int major; uint64_t value; const uint8_t *payload; }; /* value: int, length or count */

static void put_head(uint8_t **out, int major, uint64_t value) {
  uint8_t *p = *out;
  if (value < 24) {
    *p++ = (uint8_t)(major << 5 | value);
  } else if (value < 0x100) {
    *p++ = (uint8_t)(major << 5 | 24);
    *p++ = (uint8_t)value;
  } else {
    *p++ = (uint8_t)(major << 5 | 25);
    *p++ = (uint8_t)(value >> 8);
    *p++ = (uint8_t)value;
  }
  *out = p;
}

static void put_text(uint8_t **out, const char *text) {
  put_head(out, 3, strlen(text));
  memcpy(*out, text, strlen(text));
  *out += strlen(text);
}

static void put_bytes(uint8_t **out, const uint8_t *bytes, size_t len) {
  put_head(out, 2, len);
  memcpy(*out, bytes, len);
  *out += len;
}

/* Reads one item's head; for strings the payload follows, for arrays and maps the elements do. */
static int next(struct cbor *c, struct item *it) {
  if (c->at >= c->end) return -1;
  uint8_t first = *c->at++;
  it->major = first >> 5;
  int info = first & 31, size = info < 24 ? 0 : info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : -1;
  if (size < 0 || c->end - c->at < size) return -1;
  it->value = size == 0 ? (uint64_t)info : 0;
  for (int i = 0; i < size; i++) it->value = it->value << 8 | *c->at++;
  it->payload = c->at;
  if (it->major == 2 || it->major == 3) {
    if ((uint64_t)(c->end - c->at) < it->value) return -1;
    c->at += it->value;
  }
  return 0;
}

static int skip(struct cbor *c) {
  struct item it;
  if (next(c, &it) < 0) return -1;
  if (it.major == 6) return skip(c);
  uint64_t children = it.major == 4 ? it.value : it.major == 5 ? 2 * it.value : 0;
  for (uint64_t i = 0; i < children; i++)
    if (skip(c) < 0) return -1;
  return 0;
}

static int is_text(const struct item *it, const char *text) {
  return it->major == 3 && it->value == strlen(text) && memcmp(it->payload, text, it->value) == 0;
}

/* In the map whose head was just read (count entries), finds KEY and leaves the cursor on its value. */
static int find_key(struct cbor *c, uint64_t count, const char *key) {
  for (uint64_t i = 0; i < count; i++) {
    struct item k;
    if (next(c, &k) < 0) return -1;
    if (is_text(&k, key)) return 0;
    if (skip(c) < 0) return -1;
  }
  return -1;
}

/* ---- NSM ---- */

static int nsm_fd = -1;
static uint8_t response[NSM_RESPONSE_MAX];

/* Sends REQUEST; on {"Error": name} fails STEP unless ERROR_NAME is given (then copies the name there). On
 * success positions C on the value of the response's single key (a map) or, for a bare text response, on it. */
static int nsm_call(const char *step, const uint8_t *request, size_t len, const char *expected, struct cbor *c,
                    char *error_name, size_t error_capacity) {
  struct nsm_raw raw = {(uintptr_t)request, len, (uintptr_t)response, sizeof response};
  if (ioctl(nsm_fd, NSM_IOCTL_RAW, &raw) < 0) fail(step, "ioctl %s", strerrorname_np(errno));
  *c = (struct cbor){response, response + raw.response_len};
  struct item it;
  if (next(c, &it) < 0) fail(step, "undecodable response");
  if (it.major == 3) {
    if (!is_text(&it, expected)) fail(step, "unexpected response %.*s", (int)it.value, it.payload);
    return 0;
  }
  if (it.major != 5 || it.value != 1) fail(step, "response is not a one-entry map");
  struct item key;
  if (next(c, &key) < 0 || key.major != 3) fail(step, "undecodable response key");
  if (is_text(&key, "Error")) {
    struct item name;
    if (next(c, &name) < 0 || name.major != 3) fail(step, "undecodable error");
    if (error_name == NULL) fail(step, "NSM error %.*s", (int)name.value, name.payload);
    snprintf(error_name, error_capacity, "%.*s", (int)name.value, name.payload);
    return 1;
  }
  if (!is_text(&key, expected)) fail(step, "unexpected response %.*s", (int)key.value, key.payload);
  return 0;
}

/* The byte string under KEY of the map at C. */
static struct item field_bytes(const char *step, struct cbor *c, const char *key) {
  struct item map, value;
  if (next(c, &map) < 0 || map.major != 5 || find_key(c, map.value, key) < 0 || next(c, &value) < 0 ||
      value.major != 2)
    fail(step, "response has no byte string %s", key);
  return value;
}

static void describe(void) {
  uint8_t request[32], *p = request;
  put_text(&p, "DescribeNSM");
  struct cbor c;
  nsm_call("describe", request, (size_t)(p - request), "DescribeNSM", &c, NULL, 0);
  struct item map, it;
  if (next(&c, &map) < 0 || map.major != 5) fail("describe", "response is not a map");
  char digest[16] = "", module_id[128] = "", locked[1024] = "";
  uint64_t max_pcrs = 0;
  for (uint64_t i = 0; i < map.value; i++) {
    struct item key;
    if (next(&c, &key) < 0 || next(&c, &it) < 0) fail("describe", "truncated response");
    if (is_text(&key, "digest") && it.major == 3) {
      snprintf(digest, sizeof digest, "%.*s", (int)it.value, it.payload);
    } else if (is_text(&key, "module_id") && it.major == 3) {
      snprintf(module_id, sizeof module_id, "%.*s", (int)it.value, it.payload);
    } else if (is_text(&key, "max_pcrs") && it.major == 0) {
      max_pcrs = it.value;
    } else if (is_text(&key, "locked_pcrs") && it.major == 4) {
      for (uint64_t j = 0; j < it.value; j++) {
        struct item index;
        if (next(&c, &index) < 0 || index.major != 0) fail("describe", "bad locked_pcrs");
        size_t used = strlen(locked);
        snprintf(locked + used, sizeof locked - used, "%s%llu", j ? "," : "", (unsigned long long)index.value);
      }
    } else if (it.major == 4 || it.major == 5) {
      fail("describe", "unexpected field %.*s", (int)key.value, key.payload);
    }
  }
  say("describe digest=%s max_pcrs=%llu module_id=%s locked=%s", digest, (unsigned long long)max_pcrs, module_id,
      locked);
}

static const uint8_t EXTEND_DATA[] = "nitro-emu";

static size_t extend_request(uint8_t *request) {
  uint8_t *p = request;
  put_head(&p, 5, 1);
  put_text(&p, "ExtendPCR");
  put_head(&p, 5, 2);
  put_text(&p, "index");
  put_head(&p, 0, 16);
  put_text(&p, "data");
  put_bytes(&p, EXTEND_DATA, sizeof EXTEND_DATA - 1);
  return (size_t)(p - request);
}

static void extend_and_lock(void) {
  uint8_t request[64];
  size_t len = extend_request(request);
  struct cbor c;
  nsm_call("extend", request, len, "ExtendPCR", &c, NULL, 0);
  struct item value = field_bytes("extend", &c, "data");
  print_hex("extend pcr=16 data=6e6974726f2d656d75 value=", value.payload, value.value);

  uint8_t lock[32], *p = lock;
  put_head(&p, 5, 1);
  put_text(&p, "LockPCR");
  put_head(&p, 5, 1);
  put_text(&p, "index");
  put_head(&p, 0, 16);
  nsm_call("lock", lock, (size_t)(p - lock), "LockPCR", &c, NULL, 0);
  say("lock pcr=16");

  char error[64];
  if (nsm_call("extend-after-lock", request, len, "ExtendPCR", &c, error, sizeof error) == 0)
    fail("extend-after-lock", "ExtendPCR succeeded on a locked PCR");
  say("extend-after-lock error=%s", error);
}

static void get_random(void) {
  uint8_t request[16], *p = request;
  put_text(&p, "GetRandom");
  struct cbor c;
  nsm_call("random", request, (size_t)(p - request), "GetRandom", &c, NULL, 0);
  struct item random = field_bytes("random", &c, "random");
  print_hex("random bytes=", random.payload, random.value);
}

static void base64_line(const char *prefix, const uint8_t *bytes, size_t len) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  fputs(prefix, stdout);
  for (size_t i = 0; i < len; i += 3) {
    uint32_t n = (uint32_t)bytes[i] << 16 | (i + 1 < len ? (uint32_t)bytes[i + 1] << 8 : 0) |
                 (i + 2 < len ? bytes[i + 2] : 0);
    putchar(alphabet[n >> 18 & 63]);
    putchar(alphabet[n >> 12 & 63]);
    putchar(i + 1 < len ? alphabet[n >> 6 & 63] : '=');
    putchar(i + 2 < len ? alphabet[n & 63] : '=');
  }
  putchar('\n');
  fflush(stdout);
}

static void attest(const uint8_t *nonce, size_t nonce_len) {
  uint8_t request[160], *p = request;
  put_head(&p, 5, 1);
  put_text(&p, "Attestation");
  put_head(&p, 5, 3);
  put_text(&p, "user_data");
  *p++ = 0xf6; /* null */
  put_text(&p, "nonce");
  put_bytes(&p, nonce, nonce_len);
  put_text(&p, "public_key");
  *p++ = 0xf6;
  struct cbor c;
  nsm_call("attestation", request, (size_t)(p - request), "Attestation", &c, NULL, 0);
  struct item document = field_bytes("attestation", &c, "document");
  base64_line("attestation doc=", document.payload, document.value);
}

/* ---- vsock ---- */

/* Bounds every read on fd: a silent peer ends the step with EAGAIN instead of a hang. */
static int bound_reads(int fd) {
  struct timeval timeout = {.tv_sec = READ_TIMEOUT_SECONDS};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

static int read_full(int fd, uint8_t *buffer, size_t len) {
  for (size_t done = 0; done < len;) {
    ssize_t n = read(fd, buffer + done, len - done);
    if (n == 0) errno = 0; /* end of stream */
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

static int write_full(int fd, const uint8_t *buffer, size_t len) {
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, buffer + done, len - done);
    if (n < 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

static void echo_client(unsigned port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("echo-client", "socket %s", strerrorname_np(errno));
  struct sockaddr_vm parent = {.svm_family = AF_VSOCK, .svm_cid = PARENT_CID, .svm_port = port};
  if (connect(fd, (struct sockaddr *)&parent, sizeof parent) < 0)
    fail("echo-client", "connect %s", strerrorname_np(errno));
  if (bound_reads(fd) < 0) fail("echo-client", "setsockopt %s", strerrorname_np(errno));
  struct sockaddr_vm local = {0}, peer = {0};
  socklen_t local_len = sizeof local, peer_len = sizeof peer;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0)
    fail("echo-client", "getsockname %s", strerrorname_np(errno));
  if (getpeername(fd, (struct sockaddr *)&peer, &peer_len) < 0)
    fail("echo-client", "getpeername %s", strerrorname_np(errno));
  if (local.svm_family != AF_VSOCK || peer.svm_family != AF_VSOCK)
    fail("echo-client", "address families %d and %d, not AF_VSOCK", local.svm_family, peer.svm_family);
  say("client local_cid=%u peer_cid=%u peer_port=%u", local.svm_cid, peer.svm_cid, peer.svm_port);

  static uint8_t sent[ECHO_BYTES], received[ECHO_BYTES];
  for (size_t i = 0; i < sizeof sent; i++) sent[i] = (uint8_t)(i % 251);
  /* In chunks, each read back before the next is written: the echo never has to buffer more than one. */
  for (size_t done = 0; done < sizeof sent; done += 8192) {
    if (write_full(fd, sent + done, 8192) < 0) fail("echo-client", "write %s", strerrorname_np(errno));
    if (read_full(fd, received + done, 8192) < 0)
      fail("echo-client", "read: short echo after %zu bytes (%s)", done, errno ? strerrorname_np(errno) : "EOF");
  }
  if (memcmp(sent, received, sizeof sent) != 0) fail("echo-client", "echoed bytes differ");
  close(fd);
  say("echo-client bytes=%d ok", ECHO_BYTES);
}

struct server { int listener; unsigned peer_cid, local_port; size_t bytes; char error[256]; };

static void *serve_once(void *argument) {
  struct server *s = argument;
  struct pollfd ready = {.fd = s->listener, .events = POLLIN};
  int polled = poll(&ready, 1, ACCEPT_TIMEOUT_MS);
  if (polled <= 0) {
    snprintf(s->error, sizeof s->error, "no connection within %d ms (%s)", ACCEPT_TIMEOUT_MS,
             polled < 0 ? strerrorname_np(errno) : "timeout");
    return NULL;
  }
  struct sockaddr_vm peer = {0}, local = {0};
  socklen_t peer_len = sizeof peer, local_len = sizeof local;
  int fd = accept4(s->listener, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
  if (fd < 0) {
    snprintf(s->error, sizeof s->error, "accept %s", strerrorname_np(errno));
    return NULL;
  }
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0 || bound_reads(fd) < 0) {
    snprintf(s->error, sizeof s->error, "getsockname/setsockopt %s", strerrorname_np(errno));
    return NULL;
  }
  s->peer_cid = peer.svm_cid;
  s->local_port = local.svm_port;
  uint8_t buffer[8192];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0 || write_full(fd, buffer, (size_t)n) < 0) {
      snprintf(s->error, sizeof s->error, "echo %s", strerrorname_np(errno));
      return NULL;
    }
    s->bytes += (size_t)n;
  }
  close(fd);
  return NULL;
}

static int parse_hex(const char *hex, uint8_t *out, size_t capacity) {
  size_t len = strlen(hex);
  if (len == 0 || len % 2 != 0 || len / 2 > capacity) return -1;
  for (size_t i = 0; i < len; i++)
    if (!strchr("0123456789abcdef", hex[i]) || hex[i] == 0) return -1;
  for (size_t i = 0; i < len / 2; i++) sscanf(hex + 2 * i, "%2hhx", &out[i]);
  return (int)(len / 2);
}

static unsigned parse_port(const char *text) {
  char *end;
  unsigned long port = strtoul(text, &end, 10);
  if (*text == 0 || *end != 0 || port > 0xFFFFFFFFul) fail("arguments", "bad port %s", text);
  return (unsigned)port;
}

int main(int argc, char **argv) {
  uint8_t nonce[64];
  if (argc != 4) fail("arguments", "usage: %s NONCE_HEX ECHO_PORT LISTEN_PORT", argv[0]);
  int nonce_len = parse_hex(argv[1], nonce, sizeof nonce);
  if (nonce_len < 0) fail("arguments", "nonce must be 1..64 bytes of lowercase hex");
  unsigned echo_port = parse_port(argv[2]), listen_port = parse_port(argv[3]);

  struct server server = {.listener = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (server.listener < 0) fail("listen", "socket %s", strerrorname_np(errno));
  struct sockaddr_vm any = {.svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = listen_port};
  if (bind(server.listener, (struct sockaddr *)&any, sizeof any) < 0)
    fail("listen", "bind %s", strerrorname_np(errno));
  if (listen(server.listener, 4) < 0) fail("listen", "listen %s", strerrorname_np(errno));
  pthread_t thread;
  if (pthread_create(&thread, NULL, serve_once, &server) != 0) fail("listen", "pthread_create failed");
  say("listening port=%u", listen_port);

  nsm_fd = open("/dev/nsm", O_RDWR | O_CLOEXEC);
  if (nsm_fd < 0) fail("describe", "open /dev/nsm %s", strerrorname_np(errno));
  describe();
  extend_and_lock();
  get_random();
  attest(nonce, (size_t)nonce_len);
  echo_client(echo_port);

  pthread_join(thread, NULL);
  if (server.error[0]) fail("echo-server", "%s", server.error);
  say("server peer_cid=%u local_port=%u", server.peer_cid, server.local_port);
  say("echo-server bytes=%zu ok", server.bytes);
  close(server.listener);
  close(nsm_fd);
  say("done");
  return 0;
}
