# incidentd: `make run` and `make test` are all a fresh Debian 12 machine needs.
SHELL := /bin/bash
BUILD ?= build
CONFIG ?= config/incidentd.yaml
JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

# Every Debian package the build, the tests and the benchmarks use. bench/compare.sh (make bench-compare) installs the
# two it alone needs, prometheus-alertmanager and gnuplot-nox, when it runs: Debian's Alertmanager starts a service on
# :9093, the port `make run` gives incidentd.
DEBIAN_PACKAGES := g++ make cmake ninja-build pkg-config ccache curl python3 \
  libboost1.81-dev libsimdjson-dev libyaml-cpp-dev libspdlog-dev libfmt-dev \
  libre2-dev libssl-dev ca-certificates openssl libgtest-dev libgmock-dev libbenchmark-dev libsystemd-dev systemd dpkg-dev \
  librocksdb-dev librdkafka-dev kcat libjemalloc-dev

.PHONY: deps build run test bench bench-compare format clean

deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/incidentd --config $(CONFIG)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Decoder micro-benchmarks and HTTP ingestion through the load generator; bench/README.md explains the figures.
bench: build
	bench/run.sh $(BUILD)

# The same load against incidentd and Debian's Prometheus Alertmanager, in turns; keeps a table and a plot in
# bench/results/. bench/README.md ("Side by side with Alertmanager") explains the figures.
bench-compare: build
	bench/compare.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD)

# The Debian package: a Release build without tests or benchmarks in build-release/, packed by CPack
# (cmake/install.cmake). docs/systemd.md explains what it installs.
.PHONY: package
package: deps
	cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DINCIDENTD_TESTS=OFF -DINCIDENTD_BENCH=OFF
	cmake --build build-release -j $(JOBS)
	cd build-release && cpack -G DEB
	@ls -1 $(CURDIR)/build-release/incidentd_*.deb
