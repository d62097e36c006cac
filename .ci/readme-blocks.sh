#!/usr/bin/env bash
# Runs the shell blocks of the READMEs verbatim, in order, as a user pasting them into one terminal.
#
#   .ci/readme-blocks.sh [--shell bash|zsh] [--list] [README.md...]
#
# Without README arguments: every README.md git tracks (README.md first). For each README:
# - its fenced ```bash / ```sh / ```shell / ```zsh blocks run in order in ONE shell (variables and
#   the working directory carry over, as in a terminal) with errexit on (`set -e`; no pipefail, as in
#   an interactive shell, so a README can show an expected refusal as `cmd 2>&1 | grep Denied`), and
#   a block's last command must succeed even where errexit does not look (`! cmd`, `a && b`);
# - the working directory is a fresh temporary "clone": the repository's top-level entries as
#   symlinks, so `./nitro-emu`, `mvn -pl ...` and relative paths work as from the clone's root while
#   the files the blocks write (policy.json, secret.bin...) stay out of the tree;
# - NITRO_EMU_HOME is a fresh temporary directory (a new machine: no CA, no stack state), the AWS
#   CLI reads no ~/.aws files, and NITRO_VSOCK_MAP and AWS_ENDPOINT_URL* are unset.
#
# Markers (visible in the output and in the summary):
# - `<!-- ci: skip (REASON) -->` as the last non-blank line before a fence skips that block;
# - a line ending in `# ci: skip (REASON)` is skipped (single-line commands only).
# Special cases:
# - a line `./nitro-emu start [ARGS]` (the README's "main job", which runs in the foreground until
#   Ctrl-C) runs in the background through .ci/stack.sh, which waits for "nitro-emu: ready"; after
#   the README's last block it is stopped with SIGTERM and must say "nitro-emu: stopping"; a
#   `./nitro-emu start --detach ...` line runs as written, since it returns by itself once ready
#   (its block stops it with `nitro-emu stop`);
# - a line `mvn -B verify` alone is skipped: .ci/run runs exactly that command before this script.
#
# Exit status: 0 if every block of every README passed, 1 otherwise, 2 for bad arguments.
set -euo pipefail

ci="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$ci/.." && pwd)"
shell=bash
list_only=0
readmes=()
while (($#)); do
  case "$1" in
    --shell) shell=${2:?--shell needs bash or zsh}; shift 2 ;;
    --list) list_only=1; shift ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "readme-blocks: unknown option $1" >&2; exit 2 ;;
    *) readmes+=("$1"); shift ;;
  esac
done
case "$shell" in
  bash|zsh) command -v "$shell" >/dev/null || { echo "readme-blocks: $shell is not installed" >&2; exit 2; } ;;
  *) echo "readme-blocks: --shell must be bash or zsh" >&2; exit 2 ;;
esac
if ((${#readmes[@]} == 0)); then
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t readmes < <(git -C "$root" ls-files -- README.md '*/README.md' | sort | awk '$0 == "README.md" {print; next} {rest[++n] = $0} END {for (i = 1; i <= n; i++) print rest[i]}')
  else
    mapfile -t readmes < <(cd "$root" && find . -name README.md -not -path '*/target/*' -not -path './.git/*' | sed 's|^\./||' | sort)
  fi
fi

# Turns one README into a script: the prelude's helpers, then each runnable block (header, lines).
extract() {
  awk -v file="$1" '
    function reason(text) {
      sub(/.*ci:[ \t]*skip[ \t]*/, "", text); sub(/[ \t]*-->.*$/, "", text)
      gsub(/^\(|\)[ \t]*$/, "", text); gsub(/\047/, "", text)
      return text == "" ? "marked ci: skip" : text
    }
    function flush(   i) {
      if (!runnable) return
      if (skip != "") { printf "__readme_skip_block %d \047%s\047\n", start, skip; return }
      printf "__readme_block %d %d\n", start, NR
      for (i = 1; i <= n; i++) print body[i]
      print "__readme_end_block $?"
    }
    !infence && /^[ \t]*```/ {
      infence = 1; start = NR; n = 0; skip = ""
      lang = $0; sub(/^[ \t]*```[ \t]*/, "", lang); sub(/[ \t].*$/, "", lang); lang = tolower(lang)
      match($0, /^[ \t]*/); indent = RLENGTH
      runnable = (lang == "bash" || lang == "sh" || lang == "shell" || lang == "zsh")
      if (runnable && previous ~ /^[ \t]*<!--[ \t]*ci:[ \t]*skip/) skip = reason(previous)
      next
    }
    !infence { if ($0 ~ /[^ \t]/) previous = $0; next }
    /^[ \t]*```[ \t]*$/ { infence = 0; flush(); previous = ""; next }
    {
      line = substr($0, indent + 1)
      if (line ~ /#[ \t]*ci:[ \t]*skip/) {
        body[++n] = sprintf("__readme_skip_line %d \047%s\047", NR, reason(line))
      } else if (line ~ /^\.\/nitro-emu start([ \t]|$)/ && line !~ /[ \t](--detach|-d)([ \t]|$)/) {
        args = line; sub(/^\.\/nitro-emu start/, "", args); sub(/[ \t]#.*$/, "", args)
        body[++n] = sprintf("__readme_start_stack %d%s", NR, args)
      } else if (line ~ /^mvn -B verify([ \t]+#.*)?[ \t]*$/) {
        body[++n] = sprintf("__readme_skip_line %d \047already run: .ci/run runs mvn -B verify before this script\047", NR)
      } else {
        body[++n] = line
      }
    }
    END { if (infence) { printf "readme-blocks: %s: unclosed fence opened on line %d\n", file, start > "/dev/stderr"; exit 1 } }
  ' "$root/$1"
}

# Helpers the generated script calls; plain POSIX functions, so bash and zsh run them alike.
prelude() {
  cat <<'PRELUDE'
set -e
__readme_block() {
  printf '\n--- %s:%s\n' "$__readme_file" "$1" >&2
  sed -n "$(($1 + 1)),$(($2 - 1))p" "$__readme_source" | sed 's/^/  | /' >&2
  printf '%s:%s\n' "$__readme_file" "$1" > "$__readme_state/current"
}
__readme_end_block() {
  [ "$1" -eq 0 ] || { printf '  ! the block ended with exit status %s\n' "$1" >&2; exit "$1"; }
}
__readme_skip_block() {
  printf '\n--- %s:%s SKIPPED: %s\n' "$__readme_file" "$1" "$2" >&2
  printf '%s:%s (block): %s\n' "$__readme_file" "$1" "$2" >> "$__readme_state/skipped"
}
__readme_skip_line() {
  printf '  ~ %s:%s skipped: %s\n' "$__readme_file" "$1" "$2" >&2
  printf '%s:%s (line): %s\n' "$__readme_file" "$1" "$2" >> "$__readme_state/skipped"
}
__readme_start_stack() {
  __readme_line=$1
  shift
  printf '  ~ %s:%s ./nitro-emu start runs in the background until the last block (.ci/stack.sh)\n' "$__readme_file" "$__readme_line" >&2
  "$__readme_ci/stack.sh" start "$__readme_state/stack" "$@"
}
PRELUDE
}

work="$(mktemp -d "${TMPDIR:-/tmp}/readme-blocks.XXXXXX")"
stacks=()
cleanup() {
  local s
  for s in "${stacks[@]}"; do
    "$ci/stack.sh" stop "$s" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=()
ran=0
for readme in "${readmes[@]}"; do
  [[ -f "$root/$readme" ]] || { echo "readme-blocks: no such file: $readme" >&2; exit 2; }
  dir="$work/$(printf '%s' "$readme" | tr '/' '_')"
  mkdir -p "$dir/clone" "$dir/state" "$dir/home"
  script="$dir/blocks.sh"
  { prelude; extract "$readme"; } > "$script"
  if ! grep -q '^__readme_\(block\|skip_block\) ' "$script"; then
    continue
  fi
  if ((list_only)); then
    echo "$readme:"
    grep -E '^__readme_(block|skip_block|skip_line|start_stack) ' "$script" | sed 's/^/  /'
    continue
  fi
  for entry in "$root"/* "$root"/.[!.]*; do
    if [[ -e "$entry" && "$(basename "$entry")" != .git ]]; then
      ln -s "$entry" "$dir/clone/$(basename "$entry")"
    fi
  done
  echo "=== $readme (in $shell, from a temporary clone at $dir/clone)" >&2
  stacks+=("$dir/state/stack")
  status=0
  (
    cd "$dir/clone"
    unset NITRO_VSOCK_MAP AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KMS AWS_PROFILE
    export NITRO_EMU_HOME="$dir/home" AWS_CONFIG_FILE="$dir/aws-config" AWS_SHARED_CREDENTIALS_FILE="$dir/aws-credentials" AWS_PAGER=""
    export __readme_file="$readme" __readme_source="$root/$readme" __readme_state="$dir/state" __readme_ci="$ci"
    exec "$shell" "$script"
  ) || status=$?
  if ! "$ci/stack.sh" stop "$dir/state/stack" && ((status == 0)); then
    status=1
  fi
  blocks=$(grep -c '^__readme_block ' "$script" || true)
  if ((status == 0)); then
    echo "=== $readme: $blocks block(s) passed" >&2
    ran=$((ran + blocks))
  else
    where=$(cat "$dir/state/current" 2>/dev/null || echo "$readme")
    echo "=== $readme: FAILED in the block at $where (exit $status)" >&2
    failed+=("$where")
  fi
  [[ -f "$dir/state/skipped" ]] && cat "$dir/state/skipped" >> "$work/skipped"
done
((list_only)) && exit 0

echo >&2
echo "readme-blocks: $ran block(s) passed in $shell" >&2
if [[ -f "$work/skipped" ]]; then
  echo "readme-blocks: skipped, as marked:" >&2
  sed 's/^/  /' "$work/skipped" >&2
fi
if ((${#failed[@]})); then
  printf 'readme-blocks: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
