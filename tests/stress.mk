# tests/stress.mk — included by the top Makefile. `make stress` runs the power-loss
# and kill -9 tests at full size (docs/RELIABILITY.md gives the figures): every tear
# point, a second power loss during every recovery, random workloads, thousands of
# kill rounds. Knobs: STRESS_SEEDS (random power-loss workloads), STRESS_KILLS
# (kill rounds), STRESS_READERS (reader processes). Run it niced on a shared machine.

STRESS_SEEDS   ?= 20
STRESS_KILLS   ?= 5000
STRESS_READERS ?= 2

.PHONY: stress
stress: $(BUILD)/nidus_tests
	NIDUS_SRCDIR=$(CURDIR) NIDUS_STRESS=1 NIDUS_TEST_TIMEOUT=5400 \
	NIDUS_POWERLOSS_SEEDS=$(STRESS_SEEDS) NIDUS_KILL_ROUNDS=$(STRESS_KILLS) NIDUS_KILL_READERS=$(STRESS_READERS) \
	./$(BUILD)/nidus_tests powerloss_ kill_
