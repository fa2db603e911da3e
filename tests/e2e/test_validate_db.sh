#!/usr/bin/env bash
# Database validators against real servers started here on loopback:
# PostgreSQL (libpq), MariaDB (libmariadb) and Redis (hiredis), each with a
# known user. A right password is valid, a wrong one invalid; without
# --validate-private the servers see no connection at all (loopback is a
# private address). The URIs name the host 127.1 (the rules skip 127.0.0.1
# and localhost as documentation) and [::ffff:127.0.0.1] (IPv4-mapped).
# Servers that are not installed are skipped (scripts/deps.sh installs them).
. "$(dirname "$0")/../lib/common.sh"
require_binary
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; cleanup; }
trap stop_all EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pw() { "$PYTHON" -c 'import random,string; r=random.SystemRandom(); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(18)))'; }
as_db_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$1" -- "${@:2}"; else "${@:2}"; fi; }
wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
mkdir -p "$FX"
: >"$FX/uris.txt"
declare -A WANT
HAVE=""

# ---- PostgreSQL ----
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -x "$PGBIN/initdb" ] && { [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1; }; then
	PGDIR=$TMP/pg; mkdir -p "$PGDIR"
	[ "$(id -u)" = 0 ] && chown postgres "$PGDIR" && chmod 755 "$TMP"
	PGPORT=$(free_port); PGPW=$(pw)
	if as_db_user postgres "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 >"$TMP/pg.init" 2>&1; then
		as_db_user postgres "$PGBIN/postgres" -D "$PGDIR/data" -p "$PGPORT" -k "$PGDIR" \
			-c listen_addresses=127.0.0.1 -c log_connections=on -c logging_collector=off \
			>"$PGDIR/log" 2>&1 &
		PIDS+=($!)
		if wait_port "$PGPORT" && as_db_user postgres psql -h "$PGDIR" -p "$PGPORT" -U postgres -qc \
			"CREATE ROLE pl_user LOGIN PASSWORD '$PGPW'" >/dev/null 2>&1; then
			HAVE="$HAVE postgres"
			echo "DATABASE_URL=postgres://pl_user:$PGPW@127.1:$PGPORT/postgres" >>"$FX/uris.txt"
			echo "OLD_URL=postgresql://pl_user:Wr0ng$PGPW@127.1:$PGPORT/postgres" >>"$FX/uris.txt"
			echo "NODB_URL=postgresql+psycopg2://pl_user:$PGPW@127.1:$PGPORT/no_such_db" >>"$FX/uris.txt"
			WANT[pg-right]="postgres://pl_user:$PGPW@"; WANT[pg-wrong]="postgresql://pl_user:Wr0ng"
		else note "PostgreSQL did not start"; fi
	else note "initdb failed"; fi
else note "skip PostgreSQL: not installed"; fi

# ---- MariaDB ----
if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; then
	MYDIR=$TMP/my; mkdir -p "$MYDIR"; MYPORT=$(free_port); MYPW=$(pw)
	USEROPT=(); [ "$(id -u)" = 0 ] && USEROPT=(--user=root)
	if mariadb-install-db --no-defaults --datadir="$MYDIR/data" "${USEROPT[@]}" --auth-root-authentication-method=socket \
		--skip-test-db >"$TMP/my.init" 2>&1; then
		mariadbd --no-defaults --datadir="$MYDIR/data" --port="$MYPORT" --bind-address=127.0.0.1 \
			--socket="$MYDIR/sock" --pid-file="$MYDIR/pid" --skip-log-bin "${USEROPT[@]}" \
			>"$MYDIR/log" 2>&1 &
		PIDS+=($!)
		if wait_port "$MYPORT" && mariadb --no-defaults -S "$MYDIR/sock" -u root -e \
			"CREATE USER 'pl_user'@'%' IDENTIFIED BY '$MYPW'" 2>"$TMP/my.err"; then
			HAVE="$HAVE mariadb"
			echo "DB_URL=mysql+pymysql://pl_user:$MYPW@127.1:$MYPORT/shop" >>"$FX/uris.txt"
			echo "DB_OLD=mariadb://pl_user:Wr0ng$MYPW@127.1:$MYPORT/shop" >>"$FX/uris.txt"
		else note "MariaDB did not start: $(tail -n 3 "$MYDIR/log" "$TMP/my.err" | tr '\n' ' ')"; fi
	else note "mariadb-install-db failed"; fi
else note "skip MariaDB: not installed"; fi
my_connections() { mariadb --no-defaults -S "$MYDIR/sock" -u root -N -e "SHOW GLOBAL STATUS LIKE 'Connections'" | awk '{print $2}'; }

# ---- Redis ----
if command -v redis-server >/dev/null; then
	RPORT=$(free_port); RPW=$(pw)
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --requirepass "$RPW" \
		--dir "$TMP" >"$TMP/redis.log" 2>&1 &
	PIDS+=($!)
	if wait_port "$RPORT"; then
		HAVE="$HAVE redis"
		echo "REDIS_URL=redis://:$RPW@127.1:$RPORT/0" >>"$FX/uris.txt"
		echo "CACHE_URL=redis://default:Wr0ng$RPW@[::ffff:127.0.0.1]:$RPORT/1" >>"$FX/uris.txt"
	else note "Redis did not start"; fi
else note "skip Redis: not installed"; fi
redis_connections() { redis-cli -p "$RPORT" -a "$RPW" --no-auth-warning INFO stats | tr -d '\r' | awk -F: '/^total_connections_received/{print $2}'; }

[ -n "$HAVE" ] || skip_all "no database server available"
note "servers:$HAVE"

# 1. Without --validate-private: refused, and no server sees a connection.
PG_BEFORE=$( [ -n "${PGDIR:-}" ] && grep -c 'connection received' "$PGDIR/log" || echo 0)
MY_BEFORE=$( [[ $HAVE == *mariadb* ]] && my_connections || echo 0)
R_BEFORE=$( [[ $HAVE == *redis* ]] && redis_connections || echo 0)
run_pl scan --validate -f json "$FX/uris.txt"
assert_json "without --validate-private every database URI is not checked (private host)" \
	"j['findings'] and all(f['validation']['status']=='not_checked' and f['validation']['reason'].startswith('private host (loopback') for f in j['findings'])"
if [[ $HAVE == *postgres* ]]; then
	[ "$(grep -c 'connection received' "$PGDIR/log")" = "$PG_BEFORE" ] && pass "PostgreSQL saw no connection" || fail "PostgreSQL saw a connection"
fi
if [[ $HAVE == *mariadb* ]]; then
	# Our own status query is one connection.
	[ "$(my_connections)" = "$((MY_BEFORE + 1))" ] && pass "MariaDB saw no connection" || fail "MariaDB saw a connection"
fi
if [[ $HAVE == *redis* ]]; then
	[ "$(redis_connections)" = "$((R_BEFORE + 1))" ] && pass "Redis saw no connection" || fail "Redis saw a connection"
fi

# 2. With --validate-private: a real login decides.
run_pl scan --validate --validate-private --show-secrets -f json "$FX/uris.txt"
check() { # DESC RULE PREFIX STATUS
	assert_json "$1" "any(f['rule']=='$2' and f['secret'].startswith('$3') and f['validation']['status']=='$4' for f in j['findings'])"
}
if [[ $HAVE == *postgres* ]]; then
	check "PostgreSQL: the right password is valid" postgres-uri-password "postgres://pl_user:$PGPW@" valid
	check "PostgreSQL: a wrong password is invalid" postgres-uri-password "postgresql://pl_user:Wr0ng" invalid
	check "PostgreSQL: a missing database still proves the password" postgres-uri-password "postgresql+psycopg2://" valid
	grep -q 'statement:' "$PGDIR/log" && fail "PostgreSQL ran a statement" || pass "PostgreSQL: no statement was run"
fi
if [[ $HAVE == *mariadb* ]]; then
	check "MariaDB: the right password is valid" mysql-uri-password "mysql+pymysql://pl_user:$MYPW@" valid
	check "MariaDB: a wrong password is invalid" mysql-uri-password "mariadb://pl_user:Wr0ng" invalid
fi
if [[ $HAVE == *redis* ]]; then
	check "Redis: the right password is valid" redis-uri-password "redis://:$RPW@" valid
	check "Redis (IPv4-mapped host): a wrong password is invalid" redis-uri-password "redis://default:Wr0ng" invalid
fi
assert_json "the database answers say what they proved" \
	"all(f['validation']['status'] in ('valid','invalid') for f in j['findings'])"
finish
