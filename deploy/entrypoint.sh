#!/bin/sh
# Start-up half of `support setup`, then the service. `serve [ARGS]` (the default):
#  1. copies what the image trained and embedded at build time into DATA_DIR when DATA_DIR
#     lacks it (DATA_DIR may be a fresh, empty volume): the intent model, tiktoken's files,
#     and the demo help centre's embedded Chroma only when CHROMA_URL is empty (with a
#     Chroma server, `support ingest` fills the server: compose's migrate service, the
#     chart's Job);
#  2. SQLite store only: `support db upgrade` (the service would upgrade SQLite at start-up
#     too; run here it fails early with one clear line). A Postgres store is upgraded once
#     per release by the migration Job / compose's migrate service, never by each replica;
#  3. SEED_DEMO=1: writes the demo shop into the store (once; a seeded store is kept);
#  4. `support serve --host $HOST` (0.0.0.0 in the image).
# Any other command runs as given, e.g. `support db upgrade` or `chroma run ...`.
set -eu

if [ "${1:-serve}" != "serve" ]; then
  exec "$@"
fi
if [ "$#" -gt 0 ]; then
  shift
fi

data_dir="${DATA_DIR:-/var/lib/support}"
seed_dir="${SUPPORT_SEED_DIR:-/opt/support/seed}"
mkdir -p "$data_dir"

copy_seed() {
  # copy_seed NAME: the build-time folder NAME into DATA_DIR, unless DATA_DIR has one.
  if [ ! -e "$data_dir/$1" ] && [ -d "$seed_dir/$1" ]; then
    cp -R "$seed_dir/$1" "$data_dir/$1.partial"
    mv "$data_dir/$1.partial" "$data_dir/$1"
    echo "entrypoint: $1 copied from the image into $data_dir"
  fi
}
copy_seed models
copy_seed tiktoken
if [ -z "${CHROMA_URL:-}" ]; then
  copy_seed chroma
fi

case "${DATABASE_URL:-}" in
  "" | sqlite:*)
    support db upgrade
    ;;
  *)
    echo "entrypoint: store on ${DATABASE_URL%%:*}: its schema is upgraded by the migration job (support db upgrade), not by each replica"
    ;;
esac

if [ "${SEED_DEMO:-0}" = "1" ]; then
  support store seed
fi

exec support serve --host "${HOST:-0.0.0.0}" "$@"
