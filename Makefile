# tracklink: the two commands are `make run` and `make test`.
# Every target installs what is missing first (scripts/deps.sh).

BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 600
LISTEN ?= 127.0.0.1:8080
DB ?= sqlite:data/tracklink.db

.PHONY: all build run test unit bench deps vendor clean fuzz fuzz-merge

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@meson setup $(BUILD) --buildtype=debugoptimized >/dev/null

$(ASAN)/build.ninja:
	@meson setup $(ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

# The libFuzzer drivers (fuzz/, docs/fuzzing.md): clang, ASan+UBSan.
$(FUZZ)/build.ninja:
	@CC=clang meson setup $(FUZZ) --buildtype=debugoptimized -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

run: build
	@mkdir -p data
	./$(BUILD)/tracklink serve --listen $(LISTEN) --db $(DB)

# Unit and integration tests on the normal build, then the whole suite again
# under ASan+UBSan; the browser tests (tests/ui) once, on the normal build;
# each fuzzer briefly on its corpus. The last line is "N passed, N failed".
test: build $(ASAN)/build.ninja $(FUZZ)/build.ninja
	@ninja -C $(ASAN)
	@ninja -C $(FUZZ)
	@scripts/ui-deps.sh
	@python3 tests/run.py --build $(BUILD) --build $(ASAN) --fuzz $(FUZZ)

# Each fuzzer for FUZZ_SECONDS (FUZZ_JOBS=2: two at once), then what they
# found is merged into fuzz/corpus/ (fuzz-merge alone: only that).
fuzz: deps $(FUZZ)/build.ninja
	@ninja -C $(FUZZ)
	@scripts/fuzz.sh run $(FUZZ) $(FUZZ_SECONDS); rc=$$?; scripts/fuzz.sh merge $(FUZZ); exit $$rc

fuzz-merge: $(FUZZ)/build.ninja
	@ninja -C $(FUZZ)
	@scripts/fuzz.sh merge $(FUZZ)

# Refreshes web/vendor/ from npm: the versions package.json pins (change
# them there, then `npm install` to update package-lock.json).
vendor:
	@scripts/ui-deps.sh
	@python3 scripts/vendor.py

bench: build
	@bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
