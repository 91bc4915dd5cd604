# Command tests: shell scripts in tests/cli/ run against the embmap command
# of this build ($(CMD); SANITIZE=1 runs them on the sanitizer build).
#
#   make test-cli

.PHONY: test-cli
TEST_RUNS += test-cli

test-cli: $(CMD)
	@sh tests/cli/run.sh $(CMD)
