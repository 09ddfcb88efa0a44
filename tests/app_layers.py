"""Layering of src/: the modules' include graph has no cycle (a module is src/NAME.c or
src/NAME_*.c with include/hopscan/NAME*.h), and MPI_COMM_WORLD appears only in src/main.c
(everything below takes its communicator). usage: app_layers.py   (HOPSCAN_SOURCE_DIR from ctest)
"""
import glob
import os
import re
import sys

src = os.environ["HOPSCAN_SOURCE_DIR"]


def module(path):
    return os.path.basename(path).rsplit(".", 1)[0].split("_")[0]


graph = {}
world = []
files = glob.glob(f"{src}/src/*.c") + glob.glob(f"{src}/include/hopscan/*.h")
for f in files:
    text = open(f, encoding="utf-8").read()
    m = module(f)
    for inc in re.findall(r'#include "hopscan/(\w+)\.h"', text):
        if module(inc) != m:
            graph.setdefault(m, set()).add(module(inc))
    if "MPI_COMM_WORLD" in text and os.path.basename(f) != "main.c":
        world.append(os.path.relpath(f, src))

cycles = []
state = {}


def visit(u, path):
    state[u] = 1
    for v in sorted(graph.get(u, ())):
        if state.get(v) == 1:
            cycles.append(path[path.index(v):] + [v])
        elif v not in state:
            visit(v, path + [v])
    state[u] = 2


for u in sorted(graph):
    if u not in state:
        visit(u, [u])

fail = 0
if len(files) < 20:
    print(f"FAIL: only {len(files)} source files found under {src}")
    fail = 1
for c in cycles:
    print("FAIL: include cycle: " + " -> ".join(c))
    fail = 1
for f in world:
    print(f"FAIL: {f} uses MPI_COMM_WORLD (only src/main.c may)")
    fail = 1
if not fail:
    print(f"app_layers: {len(graph)} modules, no include cycle, MPI_COMM_WORLD only in main.c")
sys.exit(fail)
