#!/usr/bin/python3
"""Lock helper for the output tests: another process holding (or probing) OUT.lock.

  output_lock_holder.py LOCK READY RELEASE   take the fcntl lock on LOCK the way hopscan does
      (write "pid host"), create READY (holding our pid), wait for RELEASE to appear (at most
      120 s), release, create READY.done.
  output_lock_holder.py --probe LOCK         exit 0 if the lock could be taken (then released),
      3 if another process holds it.
"""
import fcntl
import os
import socket
import sys
import time


def main():
    if sys.argv[1] == "--probe":
        with open(sys.argv[2], "a+") as f:
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 3
        return 0
    lock, ready, release = sys.argv[1:4]
    f = open(lock, "a+")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()} {socket.gethostname()}\n")
    f.flush()
    with open(ready + ".tmp", "w") as r:
        r.write(f"{os.getpid()}\n")
    os.rename(ready + ".tmp", ready)
    deadline = time.time() + 120
    while not os.path.exists(release) and time.time() < deadline:
        time.sleep(0.02)
    f.close()
    open(ready + ".done", "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
