# Uplink developer entry points.
#
#   make run         build, start Postgres + Redis + FreeRADIUS in .data, migrate, seed, serve on 127.0.0.1:8080
#   make stop        stop the .data services (FreeRADIUS, Redis, Postgres)
#   make status      show whether the .data services are running
#   make test        full test suite against throwaway services (what CI runs)
#   make build       build the server (CONFIG=debug|release)
#   make bench       run the benchmarks (bench/run.sh)
#   make bench-customers  customer list/search at 1,000,000 customers (bench/customers.sh)
#   make bench-billing    expiry sweep and recharges at 1,000,000 customers (bench/billing.sh)
#   make bench-provisioning  reconcile, worker throughput and API-to-Reject latency at 1,000,000 customers
#   make bench-online  accounting poll ticks and GET /api/v1/online-customers at 1,000,000 sessions
#   make bench-accounting  accounting packets/s through FreeRADIUS, with and without our radacct indexes
#   make bench-import  a 100,000-row customer import: dry run, import, re-run
#   make bench-panel   the panel's pages (HTML) with 100,000 customers in the tenant
#   make fuzz        fuzz the API from its OpenAPI document; fails on any 5xx
#   make clean-data  stop services and delete .data (database, redis)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

CONFIG ?= debug
BIN := .build/$(CONFIG)/uplink

# Local dev services; tests use their own ports and data dir (infra/test.sh).
DATA_DIR   ?= $(CURDIR)/.data
PG_PORT    ?= 55432
REDIS_PORT ?= 56379
RADIUS_AUTH_PORT ?= 51812
RADIUS_ACCT_PORT ?= 51813
HTTP_HOST  ?= 127.0.0.1
HTTP_PORT  ?= 8080

SERVICES_ENV := UPLINK_DATA_DIR='$(DATA_DIR)' UPLINK_PG_PORT=$(PG_PORT) UPLINK_REDIS_PORT=$(REDIS_PORT) \
	UPLINK_RADIUS_AUTH_PORT=$(RADIUS_AUTH_PORT) UPLINK_RADIUS_ACCT_PORT=$(RADIUS_ACCT_PORT)
APP_ENV := \
	UPLINK_DATA_KEY_FILE='$(DATA_DIR)/data.key' \
	UPLINK_DATABASE_URL=postgres://uplink:uplink@127.0.0.1:$(PG_PORT)/uplink \
	UPLINK_REDIS_URL=redis://127.0.0.1:$(REDIS_PORT) \
	UPLINK_HTTP_HOST=$(HTTP_HOST) \
	UPLINK_HTTP_PORT=$(HTTP_PORT)

.PHONY: deps deps-bench build run stop status test bench bench-customers bench-billing bench-provisioning bench-online bench-accounting bench-import bench-panel fuzz clean-data

deps:
	bash infra/install-deps.sh

deps-bench:
	bash infra/install-deps.sh --bench

build: deps
	swift build -c $(CONFIG) --product uplink

# Re-running reuses the existing database and Redis data; `seed --demo` is
# idempotent and prints the demo logins.
run: build
	$(SERVICES_ENV) bash infra/services.sh start
	$(APP_ENV) $(BIN) migrate
	$(SERVICES_ENV) bash infra/freeradius.sh start
	$(APP_ENV) $(BIN) seed --demo
	$(APP_ENV) exec $(BIN) serve

stop:
	$(SERVICES_ENV) bash infra/freeradius.sh stop
	$(SERVICES_ENV) bash infra/services.sh stop

status:
	$(SERVICES_ENV) bash infra/services.sh status
	$(SERVICES_ENV) bash infra/freeradius.sh status

test: deps
	bash infra/test.sh

bench: deps-bench
	bash bench/run.sh

bench-customers: deps-bench
	bash bench/customers.sh

bench-billing: deps-bench
	bash bench/billing.sh

bench-provisioning: deps-bench
	bash bench/provisioning.sh

bench-online: deps-bench
	bash bench/online.sh

bench-accounting: deps-bench
	bash bench/accounting.sh

bench-import: deps-bench
	bash bench/import.sh

bench-panel: deps-bench
	bash bench/panel.sh

fuzz: deps
	bash infra/fuzz.sh

clean-data: stop
	rm -rf '$(DATA_DIR)'
