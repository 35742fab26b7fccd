"""How fast the WHMCS sandbox itself is: it must not be what a benchmark measures.

    python -m bench.sandbox_speed [--generate 1000000] [--dataset 100000]

Prints one JSON object:

- ``generate_seconds``: generating ``--generate`` invoices (seed 1); a million-invoice benchmark
  needs this to stay around ten seconds.
- ``page_median_ms`` / ``page_p95_ms``: serving one GetInvoices page of 100 (status=Paid, by id)
  from a ``--dataset``-invoice sandbox, in process (no HTTP), at 20 offsets across the data after
  one warm-up;
  typically about 1 ms, well under the 20 ms that would start to weigh on a full sync.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from forecaster.sandbox.data import DatasetSpec, generate
from forecaster.sandbox.server import SandboxServer


def measure(generate_count: int, dataset: int) -> dict:
    started = time.perf_counter()
    generated = generate(DatasetSpec(invoices=generate_count, seed=1))
    generate_seconds = time.perf_counter() - started
    del generated
    state = generate(DatasetSpec(invoices=dataset, seed=1))
    timings = []
    with SandboxServer(state, port=0) as sb:
        params = {
            "action": "GetInvoices", "identifier": sb.identifier, "secret": sb.secret,
            "responsetype": "json", "status": "Paid", "orderby": "id", "limitnum": "100",
        }  # fmt: skip
        sb.api.handle({**params, "limitstart": "0"}, "127.0.0.1")  # warm-up, not measured
        for start in range(0, dataset * 8 // 10, max(dataset // 25, 1)):
            began = time.perf_counter()
            sb.api.handle({**params, "limitstart": str(start)}, "127.0.0.1")
            timings.append(time.perf_counter() - began)
    timings.sort()
    return {
        "generate_invoices": generate_count,
        "generate_seconds": round(generate_seconds, 2),
        "page_dataset": dataset,
        "page_median_ms": round(statistics.median(timings) * 1000, 2),
        "page_p95_ms": round(timings[int(len(timings) * 0.95)] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=1_000_000)
    parser.add_argument("--dataset", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.generate, args.dataset)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
