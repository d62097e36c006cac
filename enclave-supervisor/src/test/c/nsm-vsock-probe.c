/* A test enclave program in plain C as an enclave would run it: raw ioctl on /dev/nsm and AF_VSOCK
 * sockets, no nitro-emu code. Prints one result line per step on stdout for the JUnit test to check.
 *
 *   describe              DescribeNSM              -> "response <hex>"
 *   attest NONCE_HEX      Attestation with a nonce -> "response <hex>"
 *   errors                the driver's error cases -> "<case> <errno name>|<detail>"
 *   echo PORT TEXT        vsock echo with 3:PORT   -> "echo <reply>"
 *   thread-echo PORT TEXT the same from a second thread (the supervisor sees a thread id)
 *   connect PORT          vsock connect to 3:PORT  -> "connect <errno name>|OK" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NSM_IOCTL_RAW 0xC0200A00u
struct nsm_raw { uint64_t request_addr, request_len, response_addr, response_len; };

/* CBOR as aws-nitro-enclaves-nsm-api encodes it (test-vectors/nsm-wire/vectors.json). */
static const uint8_t DESCRIBE_NSM[] = {0x6b, 'D', 'e', 's', 'c', 'r', 'i', 'b', 'e', 'N', 'S', 'M'};

static uint8_t response[0x3000];

static const char *errno_name(int error) { return error ? strerrorname_np(error) : "OK"; }

static int open_nsm(void) {
  int fd = open("/dev/nsm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    printf("open %s\n", errno_name(errno));
    exit(2);
  }
  return fd;
}

static long nsm_call(int fd, const uint8_t *request, size_t len, size_t capacity, struct nsm_raw *raw) {
  *raw = (struct nsm_raw){(uintptr_t)request, len, (uintptr_t)response, capacity};
  return ioctl(fd, NSM_IOCTL_RAW, raw) < 0 ? -errno : 0;
}

static void print_response(const char *label, const struct nsm_raw *raw) {
  printf("%s ", label);
  for (uint64_t i = 0; i < raw->response_len; i++) printf("%02x", response[i]);
  printf("\n");
}

static int request(const uint8_t *bytes, size_t len) {
  int fd = open_nsm();
  struct nsm_raw raw;
  long rc = nsm_call(fd, bytes, len, sizeof response, &raw);
  if (rc < 0) {
    printf("ioctl %s\n", errno_name((int)-rc));
    return 1;
  }
  print_response("response", &raw);
  close(fd);
  return 0;
}

/* {"Attestation": {"user_data": null, "nonce": h'NONCE', "public_key": null}} */
static int attest(const char *nonce_hex) {
  static const uint8_t head[] = {0xa1, 0x6b, 'A', 't', 't', 'e', 's', 't', 'a', 't', 'i', 'o', 'n', 0xa3,
      0x69, 'u', 's', 'e', 'r', '_', 'd', 'a', 't', 'a', 0xf6, 0x65, 'n', 'o', 'n', 'c', 'e'};
  static const uint8_t tail[] = {0x6a, 'p', 'u', 'b', 'l', 'i', 'c', '_', 'k', 'e', 'y', 0xf6};
  uint8_t cbor[512];
  size_t n = 0, nonce_len = strlen(nonce_hex) / 2;
  if (nonce_len > 255) return 2;
  memcpy(cbor, head, sizeof head);
  n = sizeof head;
  if (nonce_len < 24) {
    cbor[n++] = (uint8_t)(0x40 + nonce_len);
  } else {
    cbor[n++] = 0x58;
    cbor[n++] = (uint8_t)nonce_len;
  }
  for (size_t i = 0; i < nonce_len; i++) sscanf(nonce_hex + 2 * i, "%2hhx", &cbor[n++]);
  memcpy(cbor + n, tail, sizeof tail);
  return request(cbor, n + sizeof tail);
}

static int errors(void) {
  int fd = open_nsm();
  struct nsm_raw raw = {(uintptr_t)DESCRIBE_NSM, sizeof DESCRIBE_NSM, (uintptr_t)response, sizeof response};
  printf("other-command %s\n", errno_name(ioctl(fd, 0xC0200A01u, &raw) < 0 ? errno : 0));
  printf("bad-struct-pointer %s\n", errno_name(ioctl(fd, NSM_IOCTL_RAW, (void *)16) < 0 ? errno : 0));
  static uint8_t big[0x1001];
  printf("request-too-large %s\n", errno_name((int)-nsm_call(fd, big, sizeof big, sizeof response, &raw)));
  printf("request-max-size-accepted %s\n", errno_name((int)-nsm_call(fd, big, 0x1000, sizeof response, &raw)));
  raw = (struct nsm_raw){16, sizeof DESCRIBE_NSM, (uintptr_t)response, sizeof response};
  printf("bad-request-pointer %s\n", errno_name(ioctl(fd, NSM_IOCTL_RAW, &raw) < 0 ? errno : 0));
  raw = (struct nsm_raw){(uintptr_t)DESCRIBE_NSM, sizeof DESCRIBE_NSM, 16, sizeof response};
  printf("bad-response-pointer %s\n", errno_name(ioctl(fd, NSM_IOCTL_RAW, &raw) < 0 ? errno : 0));
  long rc = nsm_call(fd, DESCRIBE_NSM, sizeof DESCRIBE_NSM, 5, &raw);
  printf("truncated %s len=%llu\n", errno_name((int)-rc), (unsigned long long)raw.response_len);
  print_response("truncated-bytes", &raw);
  printf("other-fd-ioctl %s\n", errno_name(ioctl(0, 0xC0200A00u, &raw) < 0 ? errno : 0));
  rc = nsm_call(fd, DESCRIBE_NSM, sizeof DESCRIBE_NSM, sizeof response, &raw);
  printf("describe-after-errors %s\n", errno_name((int)-rc));
  print_response("response", &raw);
  return 0;
}

static int vsock_connect(unsigned port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    printf("socket %s\n", errno_name(errno));
    exit(1);
  }
  struct sockaddr_vm address = {.svm_family = AF_VSOCK, .svm_cid = 3, .svm_port = port};
  int rc = connect(fd, (struct sockaddr *)&address, sizeof address);
  printf("connect %s\n", errno_name(rc < 0 ? errno : 0));
  return rc < 0 ? -1 : fd;
}

static int echo(unsigned port, const char *text) {
  int fd = vsock_connect(port);
  if (fd < 0) return 1;
  size_t len = strlen(text), got = 0;
  char reply[256] = {0};
  if (len >= sizeof reply || write(fd, text, len) != (ssize_t)len) return 1;
  while (got < len) {
    ssize_t n = read(fd, reply + got, len - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  printf("echo %s\n", reply);
  close(fd);
  return got == len ? 0 : 1;
}

struct echo_args { unsigned port; const char *text; int result; };

static void *echo_thread(void *arg) {
  struct echo_args *a = arg;
  a->result = echo(a->port, a->text);
  return NULL;
}

static int thread_echo(unsigned port, const char *text) {
  struct echo_args args = {port, text, 1};
  pthread_t thread;
  if (pthread_create(&thread, NULL, echo_thread, &args) != 0 || pthread_join(thread, NULL) != 0) return 1;
  return args.result;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "describe") == 0) return request(DESCRIBE_NSM, sizeof DESCRIBE_NSM);
  if (argc == 3 && strcmp(argv[1], "attest") == 0) return attest(argv[2]);
  if (argc == 2 && strcmp(argv[1], "errors") == 0) return errors();
  if (argc == 4 && strcmp(argv[1], "echo") == 0) return echo((unsigned)atoi(argv[2]), argv[3]);
  if (argc == 4 && strcmp(argv[1], "thread-echo") == 0) return thread_echo((unsigned)atoi(argv[2]), argv[3]);
  if (argc == 3 && strcmp(argv[1], "connect") == 0) return vsock_connect((unsigned)atoi(argv[2])) < 0;
  fprintf(stderr, "usage: nsm-vsock-probe describe|attest NONCE_HEX|errors|echo PORT TEXT|thread-echo PORT TEXT|connect PORT\n");
  return 2;
}
