# PostgreSQL for the tests that need it (included by the root Makefile):
# Debian's server binaries; tests/pg.py starts a private cluster from them in a
# temporary folder on a free 127.0.0.1 port, never the system's cluster.
.PHONY: pg-deps
TEST_PREREQS += pg-deps

pg-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" != 0 ]; then echo "pg-deps: install Debian's postgresql (apt-get, as root); the PostgreSQL tests will be skipped" >&2; exit 0; fi; \
	  echo "pg-deps: apt-get install postgresql"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi
