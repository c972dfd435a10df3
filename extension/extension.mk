# The browser extension: unit tests and installable packages.
EXT_DIR := extension
EXT_VERSION := $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' $(EXT_DIR)/manifest.json | head -1)
EXT_FILES := manifest.json managed_schema.json background.js options.html options.js src

.PHONY: extension js-test firefox-lint

js-test:
	node --test $(EXT_DIR)/test/

# dist/impartial-chromium-<v>.zip (Chrome, Edge: upload to the store or pack as
# a CRX for self-hosting) and dist/impartial-firefox-<v>.xpi (same source; the
# manifest's gecko id and background.scripts serve Firefox).
extension: js-test firefox-lint
	mkdir -p dist
	rm -f dist/impartial-chromium-$(EXT_VERSION).zip dist/impartial-firefox-$(EXT_VERSION).xpi
	cd $(EXT_DIR) && python3 -m zipfile -c ../dist/impartial-chromium-$(EXT_VERSION).zip $(EXT_FILES)
	cd $(EXT_DIR) && python3 -m zipfile -c ../dist/impartial-firefox-$(EXT_VERSION).xpi $(EXT_FILES)
	@ls -l dist/impartial-*-$(EXT_VERSION).*

# Mozilla's add-on linter on the same source: Firefox compatibility without a
# Firefox to drive. Errors fail; the one expected warning is that Firefox
# ignores background.service_worker (it runs background.scripts).
# web-ext is installed with the test fixtures' npm packages (tests/e2e/e2e.mk).
firefox-lint: tests/e2e/fixtures-src/node_modules/.package-lock.json
	tests/e2e/fixtures-src/node_modules/.bin/web-ext lint --source-dir $(EXT_DIR) --ignore-files "test/**" EXTENSION_ID extension.mk --output text

TEST_EXTRA += js-test firefox-lint
