#!/usr/bin/env bash
# Private Redis, MariaDB and SMTP sink in one folder, on loopback, without systemd.
#
# Used by tools/uschat (the local stack under var/, the test servers under var/test/) and by
# integration tests that must stop and restart their own server (USCHAT_TEST_SERVERS_SH).
#
# As a command:
#   servers.sh start-redis   DIR PORT
#   servers.sh start-mariadb DIR PORT [DATABASE]   (default database: uschat)
#   servers.sh start-smtp    DIR PORT
#   servers.sh stop          DIR [redis|mariadb|smtp]...   (default: all, MariaDB last)
#   servers.sh status        DIR
# Sourced, the same as functions: servers_start_redis DIR PORT, servers_stop DIR, ...
#
# DIR keeps each server's files: NAME.pid (the pid this script started), NAME.log, the Redis
# socket, MariaDB's data/ (kept across restarts: never initialised twice) and mysqld.sock,
# mysql.password and client.cnf (0600: the generated password of the MySQL user `uschat`),
# Redis's append-only files (appendonly/, kept across restarts; SERVERS_REDIS_PERSIST=no: none),
# Maildir/ (every mail the SMTP sink received). A server already running from DIR is left
# alone, so starting twice is safe. Servers run in their own session: they outlive the shell
# that started them until someone stops them by pid.

SERVERS_START_TIMEOUT=${SERVERS_START_TIMEOUT:-60} # seconds until a server must answer
SERVERS_STOP_TIMEOUT=${SERVERS_STOP_TIMEOUT:-30}   # seconds after SIGTERM before SIGKILL
SERVERS_MYSQL_USER=${SERVERS_MYSQL_USER:-uschat}
# The address Redis and MariaDB bind: loopback, or (tests in a network namespace of their own)
# another, with the MySQL user allowed from any host then.
SERVERS_BIND=${SERVERS_BIND:-127.0.0.1}
# MariaDB's InnoDB buffer pool and redo log. With 64 MiB and 8 MiB the pages every commit
# touches (the last leaf of each active thread's indexes: about 50 MiB for 1,000 threads) did
# not fit and the redo log forced a checkpoint every second or so: after a few minutes of
# load 29 bytes of pages written per byte of redo, 100k pages read back, and commits waiting
# on both (BENCHMARKS.md, "Why the transactions waited"). 256 MiB each: the pool is memory
# only as pages are used, the redo log is disk.
SERVERS_MARIADB_BUFFER_POOL=${USCHAT_MARIADB_BUFFER_POOL:-256M}
SERVERS_MARIADB_LOG_FILE=${USCHAT_MARIADB_LOG_FILE:-256M}

servers__say() { printf 'servers: %s\n' "$*" >&2; }

# The program each pid file must belong to, so a recycled pid is never signalled.
servers__program() {
    case $1 in
        redis) echo redis-server ;;
        mariadb) echo mariadbd ;;
        smtp) echo aiosmtpd ;;
        *) return 1 ;;
    esac
}

# Prints the pid in PIDFILE when that process runs PROGRAM (zombies do not count: they run
# no code any more); fails otherwise. Checking the program keeps a recycled pid safe.
servers_pid_of() {
    local pidfile=$1 program=$2 pid state cmdline
    [[ -r $pidfile ]] || return 1
    read -r pid <"$pidfile" 2>/dev/null || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ ${state:0:1} != Z ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$program"* ]] || return 1
    echo "$pid"
}

# Prints the pid of server NAME in DIR when it runs; fails otherwise.
servers_pid() {
    local program
    program=$(servers__program "$2") || return 1
    servers_pid_of "$1/$2.pid" "$program"
}

# True when something accepts connections on 127.0.0.1:PORT.
servers_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts "$@" detached (own session, stdin from /dev/null, output appended to LOG) and writes
# its pid to PIDFILE. Job control would put the child in its own process group, and setsid
# would then fork and $! would name the wrong process: keep it off while starting.
servers_spawn() {
    local log=$1 pidfile=$2 had_m=0
    shift 2
    [[ $- == *m* ]] && had_m=1 && set +m
    setsid "$@" </dev/null >>"$log" 2>&1 &
    echo $! >"$pidfile"
    ((had_m)) && set -m
    return 0
}

# Waits until CHECK (a command) succeeds, while the server's process lives. Bounded.
servers__wait() {
    local dir=$1 name=$2 log=$3
    shift 3
    local deadline=$((SECONDS + SERVERS_START_TIMEOUT))
    local pid
    read -r pid <"$dir/$name.pid" 2>/dev/null || pid=
    while ((SECONDS < deadline)); do
        # Only whether the process lives: right after the fork it may not have exec'd the
        # server yet, so its command line can still be the shell's.
        if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null ||
            [[ $(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) == Z* ]]; then
            servers__say "$name exited while starting; last lines of $log:"
            tail -n 20 "$log" >&2 2>/dev/null
            rm -f "$dir/$name.pid"
            return 1
        fi
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    servers__say "$name did not get ready within ${SERVERS_START_TIMEOUT}s; last lines of $log:"
    tail -n 20 "$log" >&2 2>/dev/null
    servers_stop "$dir" "$name"
    return 1
}

# Common checks before starting NAME on PORT; returns 2 when it already runs.
servers__prepare() {
    local dir=$1 name=$2 port=$3 pid
    if [[ -z $dir || ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        servers__say "usage: start-$name DIR PORT"
        return 1
    fi
    mkdir -p "$dir" && chmod 700 "$dir" || return 1
    if pid=$(servers_pid "$dir" "$name"); then
        if ! servers_port_open "$port"; then
            servers__say "$name already runs from $dir (pid $pid), but not on port $port: stop it first"
            return 1
        fi
        servers__say "$name already runs from $dir (pid $pid)"
        return 2
    fi
    rm -f "$dir/$name.pid"
    if servers_port_open "$port"; then
        servers__say "port $port is already in use: cannot start $name"
        return 1
    fi
}

servers_start_redis() {
    local dir=$1 port=$2 rc=0
    servers__prepare "$dir" redis "$port" || rc=$?
    ((rc == 2)) && return 0
    ((rc == 0)) || return 1
    dir=$(cd "$dir" && pwd)
    # Append-only persistence, fsync'd every second: login tokens, presence and mail codes
    # survive a restart of Redis (a kill -9 loses at most the last second of writes), so a
    # restart does not log everyone out. SERVERS_REDIS_PERSIST=no: none (a Redis that comes
    # back empty, for the tests of that case).
    local aof="appendonly yes
appendfsync everysec
appendfilename \"appendonly.aof\"
appenddirname \"appendonly\""
    [[ ${SERVERS_REDIS_PERSIST:-yes} == no ]] && aof="appendonly no"
    # protected mode refuses every client not on loopback: off only for another address
    local protected=yes
    [[ $SERVERS_BIND == 127.0.0.1 ]] || protected=no
    cat >"$dir/redis.conf" <<EOF
bind $SERVERS_BIND
port $port
unixsocket $dir/redis.sock
unixsocketperm 700
protected-mode $protected
daemonize no
save ""
$aof
dir $dir
logfile ""
EOF
    servers_spawn "$dir/redis.log" "$dir/redis.pid" redis-server "$dir/redis.conf"
    # shellcheck disable=SC2016 # $1 expands in the inner shell
    servers__wait "$dir" redis "$dir/redis.log" \
        bash -c '[[ $(redis-cli -s "$1" ping) == PONG ]]' _ "$dir/redis.sock" || return 1
    servers__say "redis ready on 127.0.0.1:$port (pid $(cat "$dir/redis.pid"))"
}

# localhost and the socket, always: root logs in by the socket only, and MYSQL_HOST in the
# environment (as after `set -a; . var/run/stack.env`) would otherwise turn the client to TCP.
servers__mysql_root() {
    mariadb --no-defaults --host=localhost --protocol=socket --socket="$1/mysqld.sock" --user=root \
        --batch --skip-column-names "${@:2}"
}

servers_start_mariadb() {
    local dir=$1 port=$2 db=${3:-uschat} rc=0
    if [[ ! $db =~ ^[A-Za-z0-9_]{1,64}$ ]]; then
        servers__say "invalid database name: $db"
        return 1
    fi
    servers__prepare "$dir" mariadb "$port" || rc=$?
    ((rc == 1)) && return 1
    dir=$(cd "$dir" && pwd)
    if ((rc == 0)); then
        if [[ ! -d $dir/data/mysql ]]; then
            # A second try from an empty folder: on a machine starved of CPU the bootstrap
            # server has been seen to fail once and then succeed.
            local try
            for try in 1 2; do
                rm -rf "$dir/data"
                mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
                    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
                    >"$dir/mariadb-install.log" 2>&1 && break
                servers__say "mariadb-install-db failed (try $try of 2):"
                tail -n 20 "$dir/mariadb-install.log" >&2
                ((try < 2)) || return 1
            done
        fi
        servers_spawn "$dir/mariadb.log" "$dir/mariadb.pid" mariadbd --no-defaults \
            --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" \
            --bind-address="$SERVERS_BIND" --user=root --pid-file="$dir/mysqld.pid" \
            --log-error="$dir/mariadb.log" --skip-name-resolve --character-set-server=utf8mb4 \
            --collation-server=utf8mb4_unicode_ci \
            --innodb-buffer-pool-size="$SERVERS_MARIADB_BUFFER_POOL" \
            --innodb-log-file-size="$SERVERS_MARIADB_LOG_FILE" --skip-log-bin
        servers__wait "$dir" mariadb "$dir/mariadb.log" mariadb-admin --no-defaults \
            --host=localhost --protocol=socket --socket="$dir/mysqld.sock" --user=root ping || return 1
    fi
    servers__mysql_setup "$dir" "$port" "$db" || return 1
    ((rc == 2)) ||
        servers__say "mariadb ready on 127.0.0.1:$port (pid $(cat "$dir/mariadb.pid"))"
}

# The MySQL user `uschat` with a generated password (kept in DIR, reused on later starts),
# rights on DATABASE and on every `uschat_*` database (tests create throw-away ones). root
# keeps only its socket login; the socket sits in DIR, which only root can enter.
servers__mysql_setup() {
    local dir=$1 port=$2 db=$3 user=$SERVERS_MYSQL_USER password
    if [[ ! -s $dir/mysql.password ]]; then
        (
            umask 077
            tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 >"$dir/mysql.password"
        )
    fi
    password=$(cat "$dir/mysql.password")
    local remote=
    [[ $SERVERS_BIND == 127.0.0.1 ]] || remote="CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
ALTER USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
GRANT ALL PRIVILEGES ON \`uschat\\_%\`.* TO '$user'@'%';"
    if ! servers__mysql_root "$dir" <<EOF; then
DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)';
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'127.0.0.1', '$user'@'localhost';
GRANT ALL PRIVILEGES ON \`uschat\\_%\`.* TO '$user'@'127.0.0.1', '$user'@'localhost';
$remote
EOF
        servers__say "could not create the MySQL user $user"
        return 1
    fi
    (
        umask 077
        cat >"$dir/client.cnf" <<EOF
# mariadb --defaults-file=$dir/client.cnf $db
[client]
host = 127.0.0.1
port = $port
protocol = tcp
user = $user
password = $password
default-character-set = utf8mb4
EOF
    )
}

servers_start_smtp() {
    local dir=$1 port=$2 rc=0
    servers__prepare "$dir" smtp "$port" || rc=$?
    ((rc == 2)) && return 0
    ((rc == 0)) || return 1
    dir=$(cd "$dir" && pwd)
    # Python's Maildir writes into tmp/ and new/ and does not make them itself.
    mkdir -p "$dir/Maildir/"{tmp,new,cur}
    # Debian's python3: the one first on PATH may lack aiosmtpd.
    servers_spawn "$dir/smtp.log" "$dir/smtp.pid" /usr/bin/python3 -u -m aiosmtpd -n \
        -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir/Maildir"
    servers__wait "$dir" smtp "$dir/smtp.log" servers_port_open "$port" || return 1
    servers__say "smtp sink ready on 127.0.0.1:$port (pid $(cat "$dir/smtp.pid")), mail in $dir/Maildir"
}

# Stops one process by pid: SIGTERM, a bounded wait, then SIGKILL. IS_ALIVE is a command
# that succeeds while the process is still the one we started (its pid file and command line):
# it is asked before the signal. The waits then follow the pid itself until it is gone or a
# zombie, because an exiting process (slow to unmap under load, ASan's shadow memory above
# all) has an empty /proc/PID/cmdline well before it ends, and the caller must be able to
# start the server again on the same ports and files at once.
servers__pid_live() {
    kill -0 "$1" 2>/dev/null || return 1
    local state
    state=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ ${state:0:1} != Z ]]
}

servers_kill_pid() {
    local pid=$1 label=$2 timeout=${3:-$SERVERS_STOP_TIMEOUT}
    shift 3
    "$@" >/dev/null 2>&1 || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    local deadline=$((SECONDS + timeout))
    while servers__pid_live "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if servers__pid_live "$pid"; then
        servers__say "$label (pid $pid) still runs ${timeout}s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        deadline=$((SECONDS + 5))
        while servers__pid_live "$pid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
    fi
    return 0
}

servers_stop() {
    local dir=$1 name pid
    shift
    local names=("$@")
    ((${#names[@]})) || names=(smtp redis mariadb)
    [[ -d $dir ]] || return 0
    for name in "${names[@]}"; do
        servers__program "$name" >/dev/null || {
            servers__say "unknown server: $name"
            return 1
        }
        if pid=$(servers_pid "$dir" "$name"); then
            servers_kill_pid "$pid" "$name" "$SERVERS_STOP_TIMEOUT" servers_pid "$dir" "$name"
            servers__say "$name stopped (pid $pid)"
        fi
        rm -f "$dir/$name.pid"
    done
}

servers_status() {
    local dir=$1 name pid
    for name in redis mariadb smtp; do
        [[ -e $dir/$name.pid ]] || continue
        if pid=$(servers_pid "$dir" "$name"); then
            printf '%-10s pid %-8s running\n' "$name" "$pid"
        else
            printf '%-10s pid %-8s not running\n' "$name" "$(cat "$dir/$name.pid" 2>/dev/null)"
        fi
    done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -uo pipefail
    cmd=${1:-}
    shift || true
    case $cmd in
        start-redis) servers_start_redis "$@" ;;
        start-mariadb) servers_start_mariadb "$@" ;;
        start-smtp) servers_start_smtp "$@" ;;
        stop) servers_stop "$@" ;;
        status) servers_status "$@" ;;
        *)
            echo "usage: $0 start-redis|start-mariadb|start-smtp DIR PORT | stop DIR [NAME...] | status DIR" >&2
            exit 2
            ;;
    esac
fi
