# The packing benchmark's sweep: long-tailed lengths, batch size and hidden size varied
# one at a time (benchmarks/README.md). About 20 minutes of CPU time.
.PHONY: bench-sweep
bench-sweep: setup
	$(PY) benchmarks/run.py --sweep
