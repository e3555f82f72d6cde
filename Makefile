# Thin wrappers over CMake and CTest. The two commands of the quick start: make run, make test.
JOBS     ?= 2
CMAKE    ?= cmake
BUILD    ?= build
SAN      ?= build-san
REL      ?= build-release
FUZZB    ?= build-fuzz
FUZZ_SECONDS ?= 60
CONFIG   ?= configs/stsb-glove.yaml
RUN      ?= runs/$(basename $(notdir $(CONFIG)))

.PHONY: all build deps deps-test run test test-fast test-san test-release test-fuzz bench fuzz clean
.PHONY: format install
.PHONY: bench-peers bench-accuracy bench-small

all: build

deps:
	@scripts/deps.sh build

# The build set plus what the tests need beyond it (chromium for tests/browser/).
deps-test:
	@scripts/deps.sh test

$(BUILD)/CMakeCache.txt: | deps
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

# The main job on STS-B: the baselines the report compares with (ridge, kNN, SVR; kept by
# later runs while the embeddings are unchanged), then embeddings (cached), kernel,
# prototypes and experts, evaluation, the run folder runs/stsb-glove/ with analysis and
# report; ends with the test metrics and three explained test predictions. Then the same
# baselines in the run's value space, and the report again with them beside PRLE.
run: build
	@scripts/deps.sh run
	$(BUILD)/prle baselines $(CONFIG) --models ridge,knn,svr
	$(BUILD)/prle run $(CONFIG)
	$(BUILD)/prle baselines $(CONFIG) --space value --models ridge,knn,svr
	$(BUILD)/prle report $(RUN)

# Everything: the normal build, then ASan+UBSan, a Release build, then short libFuzzer runs.
test: test-fast test-san test-release test-fuzz

# llama-embedding, the gguf tests' reference, is built once into the llama cache first.
test-fast: build deps-test
	@scripts/llama.sh tool >/dev/null
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-san: deps-test
	$(CMAKE) -S . -B $(SAN) -DCMAKE_BUILD_TYPE=Debug -DPRLE_SANITIZE=ON
	$(CMAKE) --build $(SAN) -j $(JOBS)
	@scripts/llama.sh tool >/dev/null
	cd $(SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS) -LE slow

# -O3 (CMake's Release) under -Werror: its inlining finds maybe-uninitialized locals that the
# -O2 builds do not; built, not run (the suite ran twice above).
test-release: deps
	$(CMAKE) -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release
	$(CMAKE) --build $(REL) -j $(JOBS)

test-fuzz: deps
	$(CMAKE) -S . -B $(FUZZB) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DPRLE_BUILD_FUZZ=ON -DPRLE_BUILD_TESTS=OFF -DPRLE_OPENMP=OFF -DPRLE_FUZZ_SECONDS=10
	$(CMAKE) --build $(FUZZB) -j $(JOBS)
	cd $(FUZZB) && ctest --output-on-failure -j $(JOBS) -L fuzz

# Each fuzzer for FUZZ_SECONDS (default 60), corpus kept in $(FUZZB)/corpus.
fuzz: deps
	$(CMAKE) -S . -B $(FUZZB) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DPRLE_BUILD_FUZZ=ON -DPRLE_BUILD_TESTS=OFF -DPRLE_OPENMP=OFF -DPRLE_FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(CMAKE) --build $(FUZZB) -j $(JOBS)
	cd $(FUZZB) && ctest --output-on-failure -j $(JOBS) -L fuzz

bench: deps
	$(CMAKE) -S . -B $(BUILD) -DPRLE_BUILD_BENCH=ON
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	@bench/all.sh $(BUILD)

# The accuracy scoreboard (issue 12): PRLE with the library's defaults on STS-B, Ruddit and
# MLQE-PE ru-en over SEEDS, beside ridge, kNN and SVR on the same features and split.
bench-accuracy: build
	BUILD=$(BUILD) bench/accuracy.sh

# The same on the small sets bench/small_sets.py writes: two of 430 single texts (Ruddit
# comments, synthetic reviews; 301 training rows each) and 1,000 STS-B pairs (700).
bench-small: build
	/usr/bin/python3 bench/small_sets.py ../shared/data $(BUILD)/small
	BUILD=$(BUILD) CONFIGS=$(BUILD)/small OUT=$(BUILD)/small/runs \
	  SETS="ruddit430 reviews430 stsb1000" \
	  bench/accuracy.sh

# PRLE beside its peers (../shared/peers: PyTorch, scikit-learn) in one run on the same STS-B
# features: pipeline, wrapper baselines (PEER_MODELS; rf adds the slow sklearn forest), t-SNE.
PEER_MODELS ?= svr ridge knn
bench-peers:
	@scripts/deps.sh peers
	$(CMAKE) -S . -B $(BUILD) -DPRLE_BUILD_BENCH=ON
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	BUILD=$(BUILD) CONFIG=$(CONFIG) MODELS="$(PEER_MODELS)" bench/peers.sh

# The library (libprle.so.0 and libprle.a), headers, prle.pc and the tool under PREFIX.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(SAN) $(REL) $(FUZZB)
