#!/bin/sh
# Docker entrypoint: migrate, then replace this shell with the server (so it receives signals).
# Every replica runs this; polymigrate's lock makes one of them migrate and the others wait, then
# find nothing to do. --wait covers a database that is still starting (compose, fresh cluster).
set -e
npx --no-install polymigrate up --wait "${MIGRATE_WAIT_SECONDS:-60}"
exec "$@"
