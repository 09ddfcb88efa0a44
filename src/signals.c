#include "hopscan/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The one justified global (see signals.h): a signal handler has no context argument. */
static volatile sig_atomic_t signals_received = 0;

static const int signals_list[] = {SIGTERM, SIGINT, SIGUSR1};
#define SIGNALS_N (int)(sizeof signals_list / sizeof signals_list[0])

/* Saved dispositions; written only by signals_install/restore in the main thread. */
static struct sigaction signals_saved[SIGNALS_N];
static int signals_installed = 0;

static void signals_handler(int sig) {
  if (signals_received == 0)
    signals_received = sig;
}

int signals_install(err_t *e) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = signals_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  signals_received = 0;
  for (int i = 0; i < SIGNALS_N; i++) {
    struct sigaction *old = signals_installed ? NULL : &signals_saved[i];
    if (sigaction(signals_list[i], &sa, old) != 0) {
      int err = errno;
      char nb[32];
      return ERR(e, ERR_RUNTIME, "cannot install the %s handler: %s",
                 signals_name(signals_list[i], nb, (int)sizeof nb), strerror(err));
    }
  }
  signals_installed = 1;
  return 0;
}

void signals_restore(void) {
  if (!signals_installed)
    return;
  for (int i = 0; i < SIGNALS_N; i++)
    sigaction(signals_list[i], &signals_saved[i], NULL);
  signals_installed = 0;
}

int signals_pending(void) {
  return (int)signals_received;
}

const char *signals_name(int sig, char *buf, int len) {
  switch (sig) {
  case SIGTERM:
    return "SIGTERM";
  case SIGINT:
    return "SIGINT";
  case SIGUSR1:
    return "SIGUSR1";
  default:
    snprintf(buf, (size_t)(len > 0 ? len : 0), "signal %d", sig);
    return buf;
  }
}

bool signals_stop_requested(void *ctx) {
  (void)ctx;
  return signals_received != 0;
}

int signals_stop_signal(void *ctx) {
  (void)ctx;
  return signals_pending();
}
