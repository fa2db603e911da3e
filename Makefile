# Thin wrapper over Meson + Ninja. `make` builds build/pkgleaks.
BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson

.PHONY: all deps deps-build demo check check-release check-asan bench clean install

all: $(BUILD)/build.ninja
	$(MESON) compile -C $(BUILD)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

$(ASAN_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true \
	    -Db_sanitize=address,undefined -Db_lundef=false

deps:
	@./scripts/deps.sh test

deps-build:
	@./scripts/deps.sh build

demo: deps-build all
	@./scripts/demo.sh $(BUILD)/pkgleaks

# Every test, twice: an optimised -Werror build, then under ASan + UBSan.
check: deps
	$(MAKE) check-release
	$(MAKE) check-asan

check-release: all
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

check-asan: $(ASAN_BUILD)/build.ninja
	$(MESON) compile -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	PKGLEAKS_SANITIZED=1 \
	    $(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --timeout-multiplier 3

bench: deps-build all
	@./bench/run.sh $(BUILD)

install: all
	$(MESON) install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
