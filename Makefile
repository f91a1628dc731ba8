# Two commands on a fresh machine:  make demo  /  make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test sim bench mutate clean

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

# the main job: a short uhomey session on the MicroPython unix port against the simulator
demo: $(STAMP)
	$(BIN)/python tools/demo.py

# the simulator alone: prints its URLs, CA path and a ready uhomey config; Ctrl-C stops it
sim: $(STAMP)
	$(BIN)/python tools/sim.py

# the test suite (CPython and the MicroPython unix port)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 host_tests

bench: $(STAMP)
	$(BIN)/python tools/bench.py

# not part of `make test`: plants each bug of tools/mutations.json in a scratch copy, runs the suite
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py

clean:
	rm -rf $(VENV) .pytest_cache
