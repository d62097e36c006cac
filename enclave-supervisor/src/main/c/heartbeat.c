/* nitro-emu-init: the boot heartbeat of AWS's enclave init: before the app starts, connect to the
 * parent's vsock port 9000, send the byte 0xB7 and expect it back (nitro-cli treats it as "booted"). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "supervisor.h"

#define HEARTBEAT_PORT 9000u
#define HEARTBEAT_BYTE 0xB7

int heartbeat(const struct supervisor *s) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  const char *failure = NULL;
  unsigned char byte = HEARTBEAT_BYTE;
  int fd = -1;
  if (port_socket_path(s, HEARTBEAT_PORT, address.sun_path, sizeof address.sun_path) < 0) {
    failure = "the socket path is too long";
  } else if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
    failure = strerror(errno);
  } else {
    struct timeval timeout = {.tv_sec = IO_TIMEOUT_SECONDS};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    ssize_t n;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) failure = strerror(errno);
    else if (send(fd, &byte, 1, MSG_NOSIGNAL) != 1) failure = strerror(errno);
    else if ((n = recv(fd, &byte, 1, 0)) != 1) failure = n == 0 ? "the parent closed without answering" : strerror(errno);
    else if (byte != HEARTBEAT_BYTE) failure = "the parent answered another byte than 0xB7";
  }
  if (fd >= 0) close(fd);
  if (failure) {
    fprintf(stderr,
            "nitro-emu-init: heartbeat to the parent failed (vsock 3:%u, %s): %s; the parent must echo the byte 0xB7 "
            "there, as nitro-cli does (pass --no-heartbeat to skip it)\n",
            HEARTBEAT_PORT, address.sun_path, failure);
    return -1;
  }
  return 0;
}
