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

# search_progress FILE -> "done lines" for a search file: its done samples and "all" when every
# line is done, else how many are ("0 0" while the file is not readable yet)
search_progress() {
  /usr/bin/python3 - "$1" <<'PYEOF' 2>/dev/null || echo "0 0"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    ld = f["line_done"][...]
    print(int((f["done"][...] == 1).sum()), "all" if (ld == 1).all() else int((ld == 1).sum()))
PYEOF
}
