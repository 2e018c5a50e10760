# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv with python3 (3.11 or newer) and install what they need.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit rules prove docs bench tables clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "clinrules needs Python 3.11 or newer; $(PYTHON) is %d.%d" % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# The demo evaluates three of the policy's scenarios against the shipped
# ruleset. Its status is review (no named clinician has signed it off yet),
# hence --allow-draft; see rulesets/sciatica/glute_bridge.rules. Each run
# prints the decision text, which ends by saying it is decision support.
DEMO_RULESET := rulesets/sciatica/glute_bridge.rules
# The story of ruleset 2.0.0 (model sciatica version 2): a flare on one rung
# holds the harder rungs; a clear patient with the safety net and a recheck
# time; STarT Back with an unanswered item that still settles the group.
DEMO_PATIENTS := $(addprefix rulesets/sciatica/patients/,demo_a_flare_on_one_rung.json \
	demo_b_clear_with_safety_net_and_recheck.json demo_c_startback_unanswered_item_still_high.json)

demo: $(STAMP)
	$(BIN)/clinrules check rulesets/
	@for patient in $(DEMO_PATIENTS); do \
		echo; echo "=== $$patient"; \
		$(BIN)/clinrules eval $(DEMO_RULESET) $$patient --allow-draft || exit $$?; \
	done

test: lint typecheck unit rules prove docs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy

# In parallel on every core (pytest-xdist); plain `pytest` runs the same tests in one process.
# worksteal: a worker that is done takes tests queued for another, so one slow
# property at the end of a queue does not hold up the run.
unit: $(STAMP)
	$(BIN)/pytest -q -n auto --dist worksteal

# examples/ottawa, examples/startback and examples/parq have their own models,
# not registered: each is checked with --model from its directory
# (docs/models.md, docs/published-tools.md); their case files name the model.
OWN_MODELS := examples/ottawa/% examples/startback/% examples/parq/%
rules: $(STAMP)
	$(BIN)/clinrules check $(filter-out $(OWN_MODELS),$(shell find examples -name '*.rules')) rulesets/
	cd examples/ottawa && $(CURDIR)/$(BIN)/clinrules check --model ottawa_model:Patient ottawa.rules
	cd examples/startback && $(CURDIR)/$(BIN)/clinrules check --model startback_model:Patient screen.rules startback.rules
	cd examples/parq && $(CURDIR)/$(BIN)/clinrules check --model parq_model:Patient parq.rules
	$(BIN)/clinrules fmt --check rulesets/ examples/
	$(BIN)/clinrules test --min-coverage 100 rulesets/
	$(BIN)/clinrules test examples/

# The shipped ruleset's promises and requires, proved for every patient within
# the model's bounds (docs/prove.md), with z3 from the `prove` extra.
prove: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[prove]'
	$(BIN)/clinrules prove rulesets/sciatica/glute_bridge.rules

# The documentation site, built strictly (a broken link fails); pages for the
# shipped rulesets are generated into docs/generated/ by tools/mkdocs_hooks.py.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

# The benchmarks (benchmarks/run.py) with the peer engines of the `bench` extra:
# every measurement, then the goals of issue 20, each met or missed by how much.
# A full run writes benchmarks/results/latest.json and regenerates the tables of
# docs/performance.md from it (benchmarks/page.py); commit both together.
# BENCH_QUICK=1 make bench is a smoke run (results in benchmarks/results/scratch.json).
# benchmarks/prove.py times the whole prove of the shipped ruleset (goal: under 30 s).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench,prove]'
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.prove

# The parser tables the package ships (src/clinrules/syntax/parser_tables.json):
# rerun after every edit of grammar/clinrules.lark; a test fails until then.
tables: $(STAMP)
	$(BIN)/python -m clinrules.syntax.tables

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build site
