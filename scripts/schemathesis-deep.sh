#!/usr/bin/env bash
# The deep property-based run over the OpenAPI document: every phase of the
# pytest integration (examples, coverage, fuzzing) with many examples per
# operation, on SQLite and then on PostgreSQL + Redis. The bar is zero 5xx
# answers and zero answers that break the document (status, content type,
# body schema): any one fails the run. See docs/operations.md, "Reliability checks".
#
#   scripts/schemathesis-deep.sh            # both databases, 200 examples per operation
#   EXAMPLES=500 scripts/schemathesis-deep.sh sqlite
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${EXAMPLES:-200}"
targets=("${@:-sqlite postgres}")
read -r -a targets <<<"${targets[*]}"
if [ ! -x .venv/bin/python ]; then
    echo "Run scripts/test.sh once first: it creates .venv with everything installed." >&2
    exit 2
fi

# One test holds every operation: the suite's per-test timeout does not fit a long run.
run() {
    HELPLINE_API_FUZZ=full HELPLINE_API_FUZZ_EXAMPLES="$examples" HELPLINE_STRICT_PLUGINS=1 \
        .venv/bin/python -m pytest tests/api/test_schemathesis.py -q -p no:cacheprovider --timeout=0 "$@"
}

for target in "${targets[@]}"; do
    echo "=== schemathesis, all phases, $examples examples per operation, on $target ==="
    case "$target" in
        sqlite) run ;;
        postgres)
            HELPLINE_DATABASE_URL="${HELPLINE_DEEP_PG_URL:-postgresql://postgres@127.0.0.1:5432/helpline_fuzz}" \
            HELPLINE_HUEY_URL=redis://127.0.0.1:6379/0 \
            HELPLINE_EVENTS_URL=redis://127.0.0.1:6379/0 \
            HELPLINE_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1 \
                run ;;
        *) echo "unknown target $target (sqlite or postgres)" >&2; exit 2 ;;
    esac
done
echo "=== zero 5xx, zero schema violations ==="
