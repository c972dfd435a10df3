# End-to-end prerequisites: Debian's Chromium and an emoji font (geometry
# checks need real glyphs), and the fixture editors bundled from npm.
E2E_DIR := tests/e2e
E2E_SRC := $(E2E_DIR)/fixtures-src
E2E_DIST := $(E2E_DIR)/fixtures/dist

.PHONY: e2e-deps e2e-browser e2e-fixtures

e2e-deps: e2e-browser e2e-fixtures

e2e-browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then \
	  echo "installing chromium and fonts-noto-color-emoji (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji openssl >/dev/null; \
	fi

$(E2E_SRC)/node_modules/.package-lock.json: $(E2E_SRC)/package.json $(E2E_SRC)/package-lock.json
	cd $(E2E_SRC) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(E2E_DIST)/draft.js: $(E2E_SRC)/node_modules/.package-lock.json $(wildcard $(E2E_SRC)/src/*.js) $(E2E_SRC)/build.mjs
	cd $(E2E_SRC) && node build.mjs

e2e-fixtures: $(E2E_DIST)/draft.js

TEST_PREREQS += e2e-deps
