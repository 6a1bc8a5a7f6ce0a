# Thin wrappers over CMake. `make test` installs what is missing, configures, builds and runs ctest.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test bench demo clean fixtures

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
	@$(BUILD)/bench_engine

fixtures:
	@ULRSEG_WITH_TORCH=1 bash scripts/deps.sh
	python3 tools/reference/make_fixtures.py --seed 1 --out tests/fixtures

clean:
	rm -rf $(BUILD)
