/* signals: install catches SIGTERM, SIGINT and SIGUSR1 (really raised) and keeps the first one;
 * install clears a stale one; the stop adapters report it; restore puts back the dispositions
 * that were there before; names. */
#include "hopscan/signals.h"

#include "testutil.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t custom_seen = 0;
static void custom_handler(int sig) {
  custom_seen = sig;
}

int main(void) {
  err_t e;
  /* A disposition of our own, which restore must bring back. */
  struct sigaction mine;
  memset(&mine, 0, sizeof mine);
  mine.sa_handler = custom_handler;
  sigemptyset(&mine.sa_mask);
  sigaction(SIGUSR1, &mine, NULL);

  T_OK(&e, signals_install(&e));
  T_EQ_I(signals_pending(), 0);
  T_CHECK(!signals_stop_requested(NULL));
  T_EQ_I(signals_stop_signal(NULL), 0);
  raise(SIGUSR1);
  T_EQ_I(signals_pending(), SIGUSR1);
  raise(SIGTERM); /* the first signal is kept */
  raise(SIGINT);
  T_EQ_I(signals_pending(), SIGUSR1);
  T_CHECK(signals_stop_requested(NULL));
  T_EQ_I(signals_stop_signal(NULL), SIGUSR1);
  T_EQ_I(custom_seen, 0); /* our handler was replaced */

  /* A second install (a resumed step in the same process) starts clean. */
  T_OK(&e, signals_install(&e));
  T_EQ_I(signals_pending(), 0);
  raise(SIGTERM);
  T_EQ_I(signals_pending(), SIGTERM);

  signals_restore();
  struct sigaction now;
  sigaction(SIGUSR1, NULL, &now);
  T_CHECK(now.sa_handler == custom_handler);
  sigaction(SIGTERM, NULL, &now);
  T_CHECK(now.sa_handler == SIG_DFL);
  raise(SIGUSR1);
  T_EQ_I(custom_seen, SIGUSR1);
  signals_restore(); /* twice is harmless */

  char buf[32];
  T_CHECK(!strcmp(signals_name(SIGTERM, buf, sizeof buf), "SIGTERM"));
  T_CHECK(!strcmp(signals_name(SIGINT, buf, sizeof buf), "SIGINT"));
  T_CHECK(!strcmp(signals_name(SIGUSR1, buf, sizeof buf), "SIGUSR1"));
  T_CHECK(!strcmp(signals_name(SIGHUP, buf, sizeof buf), "signal 1"));
  return test_finish("test_signals");
}
