# End-to-end prerequisites (included by the root Makefile): Debian's Chromium,
# an emoji font (geometry checks need real glyphs), openssl for the fixture
# certificate, and the fixture editors installed from npm and bundled.
# Every step is skipped when already done, so `make test` stays fast.
E2E_DIR := tests/e2e
E2E_SRC := $(E2E_DIR)/fixtures-src
E2E_DIST := $(E2E_DIR)/fixtures/dist
E2E_EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
# fixture.css sets DejaVu Sans so text measures the same on every machine.
E2E_TEXT_FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# Other runs in the same working tree may be installing or bundling at the same
# time; they take turns on this lock (flock is in util-linux, always on Debian).
E2E_LOCK := flock $(E2E_SRC)/.build.lock

.PHONY: e2e-deps e2e-browser e2e-fixtures e2e-firefox

e2e-deps: e2e-browser e2e-fixtures e2e-firefox

e2e-browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -f $(E2E_EMOJI_FONT) ] || missing="$$missing fonts-noto-color-emoji"; \
	[ -f $(E2E_TEXT_FONT) ] || missing="$$missing fonts-dejavu-core"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "e2e-deps: install$$missing (apt-get, as root)" >&2; exit 1; fi; \
	  echo "e2e-deps: apt-get install$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v npm >/dev/null || { echo "e2e-deps: node and npm are needed to build the fixture editors" >&2; exit 1; }

# npm writes node_modules/.package-lock.json on every install; it is the stamp.
# (extension/extension.mk depends on this target name for web-ext.)
$(E2E_SRC)/node_modules/.package-lock.json: $(E2E_SRC)/package.json $(E2E_SRC)/package-lock.json
	$(E2E_LOCK) sh -c 'cd $(E2E_SRC) && npm ci --no-audit --no-fund --prefer-offline --loglevel=error'
	touch $@

$(E2E_DIST)/.built: $(E2E_SRC)/node_modules/.package-lock.json $(E2E_SRC)/build.mjs $(wildcard $(E2E_SRC)/src/*.js)
	$(E2E_LOCK) sh -c 'cd $(E2E_SRC) && node build.mjs'
	touch $@

e2e-fixtures: $(E2E_DIST)/.built

# Firefox end to end (tests/e2e/test_firefox.py): Debian's firefox-esr, driven
# through Marionette by the marionette-driver package (pinned; into the venv).
MARIONETTE_DRIVER := marionette-driver==3.7.1
e2e-firefox:
	@if [ ! -x /usr/bin/firefox-esr ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "e2e-firefox: install firefox-esr (apt-get, as root)" >&2; exit 1; fi; \
	  echo "e2e-firefox: apt-get install firefox-esr"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; \
	fi
	@$(PY) -c "import marionette_driver" 2>/dev/null || $(PY) -m pip install -q "$(MARIONETTE_DRIVER)"

TEST_PREREQS += e2e-deps
