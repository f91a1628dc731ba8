# Two commands on a fresh machine:  make demo  /  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-lib test sim bench clean

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

# the main job: the wall-button firmware (.mpy) on the MicroPython unix port against the simulator;
# keys from a terminal press its buttons, otherwise tools/fwdemo_presses.txt plays
demo: $(STAMP)
	$(BIN)/python tools/fwdemo.py

# the library alone: a first Athom login and a reboot with stored tokens, on the unix port
demo-lib: $(STAMP)
	$(BIN)/python tools/demo.py

# the simulator alone: prints its URLs, CA path and a ready uhomey config; Ctrl-C stops it
sim: $(STAMP)
	$(BIN)/python tools/sim.py

# the test suite (CPython and the MicroPython unix port)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 host_tests

bench: $(STAMP)
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/bench_press.py

clean:
	rm -rf $(VENV) .pytest_cache
