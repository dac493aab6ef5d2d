# vip_loyalty: the two commands are `make run` and `make test` (see README.md).
ODOO_SRC ?= $(HOME)/odoo-18.0
export ODOO_SRC

.PHONY: run test pytest host-tests replica-test stop odoo venv lint clean

run:            ## Odoo on http://localhost:8069 with point_of_sale, vip_loyalty and demo data
	@bash tools/run.sh

test:           ## pure tier always; Odoo tier when an Odoo 18.0 tree is found
	@bash tools/test.sh

pytest:         ## Odoo tests by name through pytest-odoo on a prepared database: make pytest T='path::Class::test'
	@bash tools/pytest_odoo.sh $(T)

host-tests:     ## Odoo's own POS tests with and without vip_loyalty; fails when they differ (long)
	@bash tools/host_tests.sh

replica-test:   ## reports on a streaming read replica (pg_basebackup -R): both servers' statistics compared
	@bash tools/replica_test.sh

stop:           ## stop the private PostgreSQL cluster
	@bash tools/pg.sh stop

odoo:           ## connected machines only: shallow-clone the official Odoo 18.0 into ODOO_SRC
	@test -e "$(ODOO_SRC)" && echo "$(ODOO_SRC) already exists" || \
	  git clone --depth 1 --branch 18.0 https://github.com/odoo/odoo.git "$(ODOO_SRC)"

venv:
	@bash tools/venv.sh

clean:          ## remove the virtualenv and the private cluster (stops PostgreSQL first)
	@bash tools/pg.sh stop; rm -rf .venv .state
