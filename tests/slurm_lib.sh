# Shared by the Slurm tests (sourced): helpers that read a scan file.

# progress FILE -> "done total" from the done flags ("0 0" while the file is not readable yet)
progress() {
  /usr/bin/python3 - "$1" <<'PYEOF' 2>/dev/null || echo "0 0"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    d = f["done"][...]
    print(int((d == 1).sum()), d.size)
PYEOF
}
