#!/usr/bin/env python3
"""Regenerates tests/llm/kquant/<type>.txt from llama.cpp.

Needs llama-cpp-python (e.g. python3 -m venv /tmp/venv-llama &&
/tmp/venv-llama/bin/pip install numpy llama-cpp-python) and a built
test_llm_kquant, which writes the models (deterministic, from a fixed seed):

  /tmp/venv-llama/bin/python tests/llm/kquant/regen.py build-ci/tests/test_llm_kquant

For each type: llama.cpp evaluates BOS + a fixed prompt, then greedy-decodes
STEPS tokens (logits_all; f32 KV cache and no flash attention, as Tessera's
default: llama.cpp's f16 K/V would add an error of its own); the file holds
the sequence and, at every position, llama.cpp's top-4 token ids and logits.

On a CPU with AMX, build llama.cpp without it (the AMX path crashed in a VM
here): CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON
-DGGML_AVX_VNNI=ON -DGGML_AMX_INT8=OFF ..." (or point LLAMA_CPP_LIB_PATH at
such a build).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from llama_cpp import Llama

TYPES = ["q4_k", "q5_k", "q6_k", "q8_0", "q4_0"]
PROMPT = [1, 300, 17, 261, 42, 305, 99, 270]  # BOS + 7 ids
STEPS = 64
TOPK = 4


def main():
    exe = sys.argv[1]
    out_dir = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, "--write", tmp], check=True)
        for t in TYPES:
            llm = Llama(model_path=os.path.join(tmp, t + ".gguf"), n_ctx=256, n_batch=128, n_threads=1,
                        logits_all=True, verbose=False, flash_attn=False, type_k=0, type_v=0)
            seq = list(PROMPT)
            llm.reset()
            llm.eval(seq)
            for _ in range(STEPS):
                nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                seq.append(nxt)
                llm.eval([nxt])
            scores = np.array(llm.scores[: llm.n_tokens], dtype=np.float64)
            with open(os.path.join(out_dir, t + ".txt"), "w") as f:
                f.write("# llama.cpp %s (llama-cpp-python), test_llm_kquant's %s model: greedy from the\n"
                        "# prompt, logits_all; per position: top-%d token ids and logits\n"
                        % (getattr(sys.modules["llama_cpp"], "__version__", "?"), t, TOPK))
                f.write("prompt %d\n" % len(PROMPT))
                f.write("seq " + " ".join(str(x) for x in seq) + "\n")
                for p in range(len(seq)):
                    idx = np.argsort(-scores[p], kind="stable")[:TOPK]
                    f.write("%d %s\n" % (p, " ".join("%d %.5f" % (i, scores[p][i]) for i in idx)))
            del llm


if __name__ == "__main__":
    main()
