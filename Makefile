# vigil — the front door. On a fresh Debian 12 machine:
#   make run    install dependencies, build (release), start the daemon on 127.0.0.1:8080
#   make test   install dependencies, build, run the whole suite, then again under ASan+UBSan
#   make bench  every benchmark (bench/all.sh: /health vs a constant route, the durable log,
#               streams, 100 crash rounds); figures go to docs/benchmarks.md by hand
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
                clang libclang-rt-14-dev wrk curl nodejs npm prometheus \
                libtomlplusplus-dev

.PHONY: all deps build run test test-release test-asan bench clean format help

all: build

help:
	@sed -n '1,6p' Makefile

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

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/app/vigil serve --listen $(LISTEN) --data-dir $(DATA_DIR) --tick-interval $(TICK)

test: test-release test-asan

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j 1

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON

# ASan/UBSan: any report fails the run (halt_on_error, and UBSan does not recover).
test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j 1

bench: build
	bench/all.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.hpp' '*.cpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
