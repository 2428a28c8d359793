"""llama.cpp side of bench/compare-llamacpp: times prompt processing and text
generation through llama-cpp-python's low-level API (llama_decode on a
preallocated batch), the way llama-bench does: pp = N tokens decoded as one
batch at position 0, tg = N single-token decodes from position 0, one
untimed warm-up each. Also quantizes a model (llama_model_quantize).

  python llamacpp_bench.py bench MODEL THREADS N_PROMPT N_GEN REPS
      -> one JSON line per test: {"test": "pp128", "samples": [t/s, ...]}
  python llamacpp_bench.py quantize IN OUT FTYPE
"""
import ctypes
import json
import random
import sys
import time

import llama_cpp as L


def clear_kv(ctx):
    if hasattr(L, "llama_memory_clear") and hasattr(L, "llama_get_memory"):
        L.llama_memory_clear(L.llama_get_memory(ctx), True)
    elif hasattr(L, "llama_kv_self_clear"):
        L.llama_kv_self_clear(ctx)
    else:
        L.llama_kv_cache_clear(ctx)


def decode(ctx, batch, ids, pos0):
    n = len(ids)
    for i, t in enumerate(ids):
        batch.token[i] = t
        batch.pos[i] = pos0 + i
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = 1 if i == n - 1 else 0
    batch.n_tokens = n
    rc = L.llama_decode(ctx, batch)
    if rc != 0:
        raise RuntimeError("llama_decode returned %d" % rc)


def bench(model_path, threads, n_prompt, n_gen, reps):
    L.llama_backend_init()
    mp = L.llama_model_default_params()
    load = getattr(L, "llama_model_load_from_file", None) or L.llama_load_model_from_file
    model = load(model_path.encode(), mp)
    if not model:
        raise RuntimeError("cannot load " + model_path)
    cp = L.llama_context_default_params()
    cp.n_ctx = n_prompt + n_gen + 16
    cp.n_batch = max(n_prompt, 1)
    cp.n_ubatch = max(n_prompt, 1)
    cp.n_threads = threads
    cp.n_threads_batch = threads
    make_ctx = getattr(L, "llama_init_from_model", None) or L.llama_new_context_with_model
    ctx = make_ctx(model, cp)
    if not ctx:
        raise RuntimeError("cannot create a context")
    vocab_n = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model)) if hasattr(L, "llama_vocab_n_tokens") \
        else L.llama_n_vocab(model)
    rng = random.Random(0x5eed)
    ids = [rng.randrange(vocab_n) for _ in range(max(n_prompt, n_gen) + 1)]
    batch = L.llama_batch_init(max(n_prompt, 1), 0, 1)
    out = []
    for test, n in (("pp", n_prompt), ("tg", n_gen)):
        if n == 0:
            continue
        samples = []
        for r in range(reps + 1):  # the first run is a warm-up
            clear_kv(ctx)
            t0 = time.perf_counter()
            if test == "pp":
                decode(ctx, batch, ids[:n], 0)
            else:
                for i in range(n):
                    decode(ctx, batch, ids[i:i + 1], i)
            L.llama_synchronize(ctx)
            dt = time.perf_counter() - t0
            if r > 0:
                samples.append(n / dt)
        out.append({"test": "%s%d" % (test, n), "samples": samples})
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    free_model = getattr(L, "llama_model_free", None) or L.llama_free_model
    free_model(model)
    for o in out:
        print(json.dumps(o))


def quantize(src, dst, ftype):
    qp = L.llama_model_quantize_default_params()
    qp.ftype = int(ftype)
    rc = L.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(qp))
    if rc != 0:
        raise RuntimeError("llama_model_quantize returned %d" % rc)


if __name__ == "__main__":
    if sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "quantize":
        quantize(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit("usage: llamacpp_bench.py bench|quantize ...")
