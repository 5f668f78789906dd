#!/bin/sh
# man-commands.sh QUIVER OUT: a help2man include file (--include) with one section per
# subcommand, each its `quiver CMD --help` text, so the man page documents every option.
set -eu
q=$1
{
  echo "[COMMANDS]"
  for c in $("$q" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
    echo ".SS \"quiver $c\""
    echo ".nf"
    # roff: escape backslashes, keep lines that start with . or ' literal; name the command
    # `quiver` rather than the build path it ran from.
    "$q" "$c" --help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" \
      -e "s|^Usage: [^ ]*quiver |Usage: quiver |"
    echo ".fi"
  done
} > "$2"
