# Thin wrappers over CMake. `make test` installs what is missing, configures, builds and runs ctest.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test bench demo weights clean fixtures parity-fresh loc \
        deps-clang test-asan fuzz paper

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

# The paper's comparison (configs/paper.json): every method, ablation, input size and seed, about
# 32 trainings, PP-1 and 4 reused shipped runs (about 14 core-hours, 7 h on 2 cores; run it again after a stop and it continues), then
# runs/paper/results.{json,md} and the charts. PAPER_JOBS trainings side by side.
PAPER_JOBS ?= 2
paper: build
	@$(BUILD)/ulrseg experiment --plan configs/paper.json --out runs/paper --jobs $(PAPER_JOBS) --threads $(JOBS)

# Regenerates the committed fixtures: PyTorch's (Debian's python3-torch) and the metrics'
# (NumPy and scikit-image, python3-skimage).
fixtures:
	@ULRSEG_WITH_TORCH=1 bash scripts/deps.sh
	/usr/bin/python3 tools/reference/make_fixtures.py --seed 1 --out tests/fixtures
	/usr/bin/python3 tools/reference/metrics_reference.py --seed 1 --out tests/fixtures

# Parity against fixtures freshly made with another seed: SEED=7 make parity-fresh
SEED ?= $(shell date +%s)
parity-fresh: build
	@ULRSEG_WITH_TORCH=1 bash scripts/deps.sh
	/usr/bin/python3 tools/reference/make_fixtures.py --seed $(SEED) --out $(BUILD)/fixtures-$(SEED)
	ULRSEG_FIXTURES=$(BUILD)/fixtures-$(SEED) $(BUILD)/test_parity

# Lines of code by folder and the largest files (REV=... for a past commit).
loc:
	@bash scripts/loc.sh $(REV)

# Sanitizers and fuzzing, with clang (installed by `ULRSEG_WITH_CLANG=1 scripts/deps.sh`), each in
# its own build folder. test-asan: the whole suite under ASan + UBSan. fuzz: every target of
# tests/fuzz/ for FUZZ_SECONDS on its seed corpus, FUZZ_JOBS at a time; fails when one finds a
# crash.
CLANG_CXX    ?= clang++-14
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
UBSAN_SUPPRESSIONS = $(CURDIR)/tests/sanitizers/ubsan.supp

deps-clang:
	@ULRSEG_WITH_CLANG=1 bash scripts/deps.sh

test-asan: deps-clang
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=$(CLANG_CXX) \
	  -DULRSEG_SANITIZE=ON $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(UBSAN_SUPPRESSIONS) \
	  ctest --output-on-failure -j $(JOBS)

fuzz: deps-clang
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=$(CLANG_CXX) \
	  -DULRSEG_FUZZ=ON $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(FUZZ_BUILD) --target fuzzers -j $(JOBS)
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD)
