# Two commands on a fresh machine:  make demo  /  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-lib test sim bench conformance mutate clean

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

# Athom's own client (homey-api, pinned in tools/conformance/package-lock.json) against the
# simulator; needs node and npm, so it is not part of `make test`. Nothing leaves 127.0.0.1.
CONFORMANCE := build/conformance
HOMEY_API := $(CONFORMANCE)/node_modules/homey-api/package.json

$(HOMEY_API): tools/conformance/package.json tools/conformance/package-lock.json
	mkdir -p $(CONFORMANCE)
	cp tools/conformance/package.json tools/conformance/package-lock.json $(CONFORMANCE)/
	npm ci --prefix $(CONFORMANCE) --ignore-scripts --no-audit --no-fund
	touch $@

conformance: $(STAMP) $(HOMEY_API)
	$(BIN)/python tools/conformance/run.py --prefix $(CONFORMANCE)
	HOMEY_API_DIR=$(abspath $(CONFORMANCE))/node_modules/homey-api node tools/conformance/realtime.mjs
	$(BIN)/python tools/conformance/realtime_client.py

# not part of `make test`: plants each bug of tools/mutations.json in a scratch copy, runs the suite
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py

clean:
	rm -rf $(VENV) .pytest_cache
