# Thin wrappers over CMake. `make test` installs what is missing, configures, builds and runs ctest.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test bench demo weights clean fixtures parity-fresh loc

all: build

deps:
	@bash scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/ulrseg bench --threads $(JOBS)

# Unseen synthetic views -> the shipped weights -> metrics and out/demo_mosaic.png.
demo: build
	@$(BUILD)/ulrseg demo --threads $(JOBS)

# Retrains every shipped weights file (about an hour on 2 cores): scripts/train_weights.sh.
weights: build
	@THREADS=$(JOBS) bash scripts/train_weights.sh $(BUILD)/ulrseg

# Regenerates the committed PyTorch fixtures (needs Debian's python3-torch).
fixtures:
	@ULRSEG_WITH_TORCH=1 bash scripts/deps.sh
	/usr/bin/python3 tools/reference/make_fixtures.py --seed 1 --out tests/fixtures

# Parity against fixtures freshly made with another seed: SEED=7 make parity-fresh
SEED ?= $(shell date +%s)
parity-fresh: build
	@ULRSEG_WITH_TORCH=1 bash scripts/deps.sh
	/usr/bin/python3 tools/reference/make_fixtures.py --seed $(SEED) --out $(BUILD)/fixtures-$(SEED)
	ULRSEG_FIXTURES=$(BUILD)/fixtures-$(SEED) $(BUILD)/test_parity

# Lines of code by folder and the largest files (REV=... for a past commit).
loc:
	@bash scripts/loc.sh $(REV)

clean:
	rm -rf $(BUILD)
