# Hardening tests of the files the command writes (tests/harden/): SIGKILL
# at random moments, EFBIG and ENOSPC. Uses $(CMD) of this build.
#
#   make test-harden

.PHONY: test-harden
TEST_RUNS += test-harden

test-harden: $(CMD)
	@bash tests/harden/run.sh $(CMD) $(BUILD)/harden
