# The browser extension: unit tests, installable packages, Firefox lint.
EXT_DIR := extension
EXT_BUILD := build/extension
EXT_VERSION := $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' $(EXT_DIR)/manifest.json | head -1)
WEB_EXT := tests/e2e/fixtures-src/node_modules/.bin/web-ext

.PHONY: extension extension-packages js-test firefox-lint

# Node 20 (.nvmrc) or newer: tested on 20 and 22. The test files are named
# explicitly (the shell expands the glob): Node 22 no longer takes a directory,
# and helpers such as fakedom.js are not tests.
js-test: node-check
	node --test $(EXT_DIR)/test/*.test.js

# dist/impartial-chromium-<v>.zip (Chrome Web Store, Edge Add-ons, or pack as a
# CRX with your own key for a self-hosted update URL) and
# dist/impartial-firefox-<v>.xpi (sign on addons.mozilla.org), each with the
# manifest its browser reads (extension/package.py says what differs).
extension: js-test extension-packages firefox-lint
	@ls -l dist/impartial-*-$(EXT_VERSION).*

# Self-hosted fleet install: `make extension CRX_KEY=/secure/impartial.pem
# UPDATE_BASE_URL=https://extensions.example.gov.uk/impartial` also signs
# dist/impartial-chromium-<v>.crx with that key and writes dist/updates.xml.
CRX_KEY ?=
UPDATE_BASE_URL ?=
extension-packages:
	PYTHONDONTWRITEBYTECODE=1 python3 $(EXT_DIR)/package.py --out dist --unpacked $(EXT_BUILD) \
	  $(if $(CRX_KEY),--crx-key "$(CRX_KEY)" --update-base-url "$(UPDATE_BASE_URL)")

# Mozilla's add-on linter on exactly what the .xpi holds: Firefox compatibility
# without a Firefox to drive. Errors and warnings both fail.
# web-ext is installed with the test fixtures' npm packages (tests/e2e/e2e.mk).
firefox-lint: extension-packages tests/e2e/fixtures-src/node_modules/.package-lock.json
	$(WEB_EXT) lint --source-dir $(EXT_BUILD)/firefox --output text --warnings-as-errors

TEST_EXTRA += js-test firefox-lint
