# The browser extension: unit tests and installable packages.
EXT_DIR := extension
EXT_VERSION := $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' $(EXT_DIR)/manifest.json | head -1)
EXT_FILES := manifest.json managed_schema.json background.js options.html options.js src

.PHONY: extension js-test

js-test:
	node --test $(EXT_DIR)/test/

# dist/impartial-chromium-<v>.zip (Chrome, Edge: upload to the store or pack as
# a CRX for self-hosting) and dist/impartial-firefox-<v>.xpi (same source; the
# manifest's gecko id and background.scripts serve Firefox).
extension: js-test
	mkdir -p dist
	rm -f dist/impartial-chromium-$(EXT_VERSION).zip dist/impartial-firefox-$(EXT_VERSION).xpi
	cd $(EXT_DIR) && python3 -m zipfile -c ../dist/impartial-chromium-$(EXT_VERSION).zip $(EXT_FILES)
	cd $(EXT_DIR) && python3 -m zipfile -c ../dist/impartial-firefox-$(EXT_VERSION).xpi $(EXT_FILES)
	@ls -l dist/impartial-*-$(EXT_VERSION).*

TEST_EXTRA += js-test
