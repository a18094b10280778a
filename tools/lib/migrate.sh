#!/usr/bin/env bash
# Brings a MariaDB database up to date with sql/migrations/NNN_name.sql.
#
# Usage: migrate.sh [--quiet] [mariadb client options...] DATABASE
#   e.g. migrate.sh --defaults-file=var/servers/client.cnf uschat
#        MYSQL_PWD=... migrate.sh --no-defaults --host=127.0.0.1 --port=13306 --user=uschat uschat
# (a --defaults-file / --no-defaults option must come first, as for the mariadb client).
#
# Called by tools/uschat (up, test) and by tests/support's test_db_create(). Each migration is
# applied once, in version order, and recorded in schema_migrations(version, name, applied_at)
# in the same transaction as its own statements. MariaDB commits implicitly around DDL, so a
# migration made of DDL is not atomic: write it with IF NOT EXISTS so a failed run can be
# repeated. The migrations folder is USCHAT_MIGRATIONS_DIR or sql/migrations of this tree.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${USCHAT_MIGRATIONS_DIR:-$here/../../sql/migrations}
quiet=0
if [[ ${1:-} == --quiet ]]; then
    quiet=1
    shift
fi
if (($# < 1)); then
    echo "usage: $0 [--quiet] [mariadb options...] DATABASE" >&2
    exit 2
fi
db=${*: -1}
opts=("${@:1:$#-1}")
if [[ ! $db =~ ^[A-Za-z0-9_]{1,64}$ ]]; then
    echo "migrate: invalid database name: $db" >&2
    exit 2
fi
say() { ((quiet)) || printf 'migrate: %s\n' "$*"; }

sql() {
    mariadb "${opts[@]}" --batch --skip-column-names --default-character-set=utf8mb4 "$db" "$@"
}

sql -e "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(128) NOT NULL,
    applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
declare -A applied=()
while read -r version; do
    [[ -n $version ]] && applied[$version]=1
done < <(sql -e "SELECT version FROM schema_migrations")

declare -A seen=()
count=0
shopt -s nullglob
files=("$dir"/[0-9][0-9][0-9]_*.sql)
if ((${#files[@]} == 0)); then
    echo "migrate: no migrations in $dir" >&2
    exit 1
fi
for file in "${files[@]}"; do # the glob sorts: NNN_ gives the order
    base=$(basename "$file" .sql)
    version=$((10#${base%%_*}))
    name=${base#*_}
    if [[ ! $name =~ ^[a-z0-9_]+$ ]]; then
        echo "migrate: bad migration file name: $file (want NNN_lowercase_name.sql)" >&2
        exit 1
    fi
    if [[ -n ${seen[$version]:-} ]]; then
        echo "migrate: two migrations with version $version: ${seen[$version]} and $base" >&2
        exit 1
    fi
    seen[$version]=$base
    [[ -n ${applied[$version]:-} ]] && continue
    say "applying $base to $db"
    if ! {
        echo "START TRANSACTION;"
        cat "$file"
        printf '\nINSERT INTO schema_migrations (version, name) VALUES (%d, '"'%s'"');\nCOMMIT;\n' \
            "$version" "$name"
    } | sql; then
        echo "migrate: $base failed; $db keeps the migrations before it" >&2
        exit 1
    fi
    count=$((count + 1))
done
say "$db is up to date ($count applied now, ${#seen[@]} in total)"
