# shellcheck shell=bash
# A real PostgreSQL server for the tests, on loopback, in a temporary
# directory, stopped on exit. Source after common.sh:
#     . "$(dirname "$0")/../lib/postgres.sh"
#     pg_start || { fail "$PG_ERROR"; finish; }   # sets PG_URL_BASE, PG_PORT
#     url=$(pg_new_db name)     # a fresh database, its postgresql:// URL
# Debian's postgresql package provides the binaries (scripts/deps.sh installs
# it). PostgreSQL refuses to run as root: as root the server runs as the
# postgres user (runuser), with its data and socket in a directory it owns.

PG_DIR=
PG_ERROR=
PG_PORT=
PG_URL_BASE=
PG_RUN=()

pg_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null && command -v pg_ctl >/dev/null && dirname "$(command -v initdb)"
}

pg_free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		"${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$PG_DIR"
	PG_DIR=
}

# pg_start: initdb + pg_ctl start on a free port; trust auth on 127.0.0.1 only.
pg_start() {
	PG_BIN=$(pg_bindir)
	if [ -z "$PG_BIN" ]; then
		PG_ERROR="PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's"
		PG_ERROR+=" postgresql package (make check runs scripts/deps.sh, which does)"
		return 1
	fi
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	PG_RUN=()
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$PG_DIR" || { PG_ERROR="cannot chown $PG_DIR to postgres"; return 1; }
		PG_RUN=(runuser -u postgres --)
	fi
	mkdir -p "$PG_DIR/sock"
	[ "$(id -u)" != 0 ] || chown postgres: "$PG_DIR/sock"
	if ! "${PG_RUN[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 \
		--locale=C.UTF-8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
		PG_ERROR="initdb failed: $(tail -n 5 "$PG_DIR/initdb.log")"
		return 1
	fi
	local try
	for try in 1 2 3; do
		PG_PORT=$(pg_free_port)
		if pg_ctl_start; then
			PG_URL_BASE="postgresql://postgres@127.0.0.1:$PG_PORT"
			return 0
		fi
	done
	PG_ERROR="the PostgreSQL server did not start: $(tail -n 5 "$PG_DIR/server.log")"
	return 1
}

# pg_ctl_start: starts the server of $PG_DIR on $PG_PORT (pg_start, pg_restart);
# fsync off unless PG_FSYNC=on (benchmarks that count commits want it on).
pg_ctl_start() {
	"${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off}" \
		start >/dev/null 2>&1
}

# pg_down [MODE]: stops the server, keeping its data (fast by default:
# clients are cut off; immediate: as if it crashed, recovered at the next
# start). pg_ctl_start starts it again on the same port.
pg_down() {
	"${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w stop >/dev/null 2>&1
}

# pg_restart SECONDS [MODE]: pg_down, waits, starts it again on the same
# port (a fault for the tests).
pg_restart() {
	pg_down "${2:-fast}" || return 1
	sleep "$1"
	pg_ctl_start
}

# pg_psql DB SQL...: runs SQL in database DB as postgres over TCP.
pg_psql() {
	local db=$1
	shift
	PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 "$PG_URL_BASE/$db" "$@"
}

# pg_new_db NAME: (re)creates database NAME; prints its URL.
pg_new_db() {
	pg_psql postgres -c "DROP DATABASE IF EXISTS \"$1\"" >/dev/null &&
		pg_psql postgres -c "CREATE DATABASE \"$1\"" >/dev/null &&
		echo "$PG_URL_BASE/$1"
}
