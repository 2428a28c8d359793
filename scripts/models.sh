# Sourced by the scripts: finds the model fixtures, or says where it looked.
tsr_models_dir() {
  local root="$1"
  if [ -n "${TESSERA_MODELS:-}" ]; then
    echo "$TESSERA_MODELS"
  else
    (cd "$root/.." && echo "$PWD/shared/models")
  fi
}

tsr_require_models() {
  local dir="$1" file="$2"
  if [ ! -f "$dir/$file" ]; then
    echo "tessera: model file not found: $dir/$file" >&2
    echo "tessera: looked in ${TESSERA_MODELS:+\$TESSERA_MODELS=}$dir (the default is ../shared/models next to the checkout)." >&2
    echo "tessera: point TESSERA_MODELS at the folder that holds llm/, onnx/ and tokenizers/, e.g." >&2
    echo "         TESSERA_MODELS=/path/to/models scripts/main.sh" >&2
    return 1
  fi
}
