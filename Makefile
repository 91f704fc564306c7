# vigil — the front door. On a fresh Debian 12 machine:
#   make run    install dependencies, build (release), start the daemon on 127.0.0.1:8080
#   make test   install dependencies, build, run the whole suite, then again under ASan+UBSan
#   make cluster  a throw-away PostgreSQL and three nodes on 127.0.0.1:8081-8083 (Ctrl-C ends it)
#   make docs   rewrite the generated parts of the docs (the settings table of operations.md)
#   make bench  every benchmark (bench/all.sh: /health vs a constant route, the durable log,
#               streams, live output followers, many jobs, 100 crash rounds, 100 failovers
#               on PostgreSQL);
#               figures go to docs/benchmarks.md by hand
# Everything the build needs is installed here, from Debian packages, idempotently.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
LISTEN     ?= 127.0.0.1:8080
DATA_DIR   ?= $(CURDIR)/var
TICK       ?= 1s
SUDO       := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Build, test and benchmark dependencies (Debian 12 package names). A package counts as present
# when an installed package provides it too (NodeSource's nodejs provides npm).
DEB_PACKAGES := cmake make g++ pkg-config libcaf-dev librestinio-dev libasio-dev libfmt-dev \
                libhttp-parser-dev nlohmann-json3-dev catch2 libcli11-dev libsqlite3-dev sqlite3 \
                clang libclang-rt-14-dev wrk curl jq nodejs npm prometheus chromium \
                libtomlplusplus-dev libcctz-dev tzdata libspdlog-dev postgresql-15 libpq-dev \
                help2man python3-yaml libcurl4-openssl-dev clang-format

.PHONY: all deps build run cluster test test-release test-asan fuzz-build fuzz-smoke fuzz bench clean \
        format format-check help docs

all: build

help:
	@sed -n '1,8p' Makefile

deps:
	@provided=$$(dpkg-query -W -f='$${Status}|$${Provides}\n' 2>/dev/null | \
	    sed -n 's/^install ok installed|//p' | tr ',' '\n' | sed 's/(.*//; s/ //g'); \
	missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || \
	    echo "$$provided" | grep -qx "$$p" || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "dependencies: all present"; fi
	@# The standard-client test's npm packages (tests/node), from its lockfile, when it changed.
	@if [ tests/node/node_modules/.package-lock.json -nt tests/node/package-lock.json ]; then \
	  echo "tests/node: npm packages present"; \
	else npm ci --prefix tests/node --ignore-scripts --no-audit --no-fund; fi
	@# The console's browser test (tests/web): playwright-core only; it downloads no browser and
	@# drives Debian's chromium.
	@if [ tests/web/node_modules/.package-lock.json -nt tests/web/package-lock.json ]; then \
	  echo "tests/web: npm packages present"; \
	else npm ci --prefix tests/web --ignore-scripts --no-audit --no-fund; fi
	@# The API contract (tests/openapi): @redocly/cli lints docs/openapi.yaml, ajv validates a live
	@# daemon's answers against it.
	@if [ tests/openapi/node_modules/.package-lock.json -nt tests/openapi/package-lock.json ]; then \
	  echo "tests/openapi: npm packages present"; \
	else npm ci --prefix tests/openapi --ignore-scripts --no-audit --no-fund; fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/app/vigil serve --listen $(LISTEN) --data-dir $(DATA_DIR) --tick-interval $(TICK)

cluster: build
	VIGIL=$(BUILD)/app/vigil packaging/cluster.sh

test: format-check test-release test-asan fuzz-smoke

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j 1

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON

# ASan/UBSan: any report fails the run (halt_on_error, and UBSan does not recover).
test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j 1

# Fuzzing (libFuzzer, clang; tests/fuzz is a CMake project of its own). Each target runs on a
# working copy of its seed corpus under $(FUZZ_BUILD), so the repository is never modified.
# A crash fails make once every target has run; its input is kept in $(FUZZ_BUILD)/crashes/.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := cron job_json
FUZZ_FLAGS   := -max_len=4096 -timeout=5 -rss_limit_mb=2048 -print_final_stats=1

$(FUZZ_BUILD)/CMakeCache.txt:
	cmake -S tests/fuzz -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++

fuzz-build: deps $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# $(call run_fuzzers,seconds): every target in turn for that long; fails if any target crashed.
define run_fuzzers
	@mkdir -p $(FUZZ_BUILD)/crashes; failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; cp -r tests/fuzz/corpus/$$t/. $(FUZZ_BUILD)/corpus/$$t/; \
	  echo "fuzzing $$t for $(1)s"; \
	  $(FUZZ_BUILD)/$${t}_fuzz $(FUZZ_FLAGS) -max_total_time=$(1) \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- $(FUZZ_BUILD)/corpus/$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in$$failed (inputs in $(FUZZ_BUILD)/crashes/)"; \
	  exit 1; fi
endef

# The bounded run `make test` includes: 30 s per target.
fuzz-smoke: fuzz-build
	$(call run_fuzzers,30)

# A long run: FUZZ_SECONDS per target (make fuzz FUZZ_SECONDS=3600).
fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

# The settings table of docs/operations.md, from the daemon's own table (a test compares them).
# Builds the vigil binary only.
docs: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target vigil
	python3 tests/docs_settings.py write $(BUILD)/app/vigil docs/operations.md

bench: build
	bench/all.sh $(BUILD)

# The C++ sources as .clang-format says (Debian's clang-format 14). `make format` rewrites them;
# `make format-check` (the first step of `make test`) fails naming each file that differs.
CXX_SOURCES = $$(git ls-files '*.hpp' '*.cpp')

format:
	clang-format -i $(CXX_SOURCES)

format-check: deps
	@clang-format --dry-run --Werror $(CXX_SOURCES) && echo "format-check: every C++ file is formatted"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
