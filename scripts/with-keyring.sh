#!/bin/sh
# Usage: scripts/with-keyring.sh COMMAND [ARG...]
#
# Runs COMMAND inside a private D-Bus session (dbus-run-session) with a fresh
# gnome-keyring Secret Service whose "login" collection is created and
# unlocked, so tests can use the real OS keychain headlessly (CI, containers).
# The keyring lives in a temporary directory, never the user's real keyring;
# it is removed when COMMAND ends. COMMAND's exit status is returned.
#
#   scripts/with-keyring.sh go test -race ./auth/vault/
#
# FERRY_KEYRING_PASSWORD sets the keyring password (default "test").
set -eu

if [ $# -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$0: $tool not found; install it: sudo apt-get install dbus gnome-keyring libsecret-tools" >&2
		exit 127
	fi
done

if [ -z "${FERRY_WITH_KEYRING_INNER:-}" ]; then
	# The session bus activates the system's services, except the desktop
	# portals: xdg-desktop-portal (installed for the file-chooser tests,
	# which run it on a bus of their own) would start the document portal,
	# whose FUSE mount in a test's runtime or cache folder outlives the test
	# and makes its temporary folder impossible to remove.
	bus=$(mktemp -d "${TMPDIR:-/tmp}/ferry-session.XXXXXX")
	mkdir "$bus/services"
	for f in /usr/share/dbus-1/services/*.service; do
		case $(basename "$f") in
		org.freedesktop.portal.* | org.freedesktop.impl.portal.*) ;;
		*) ln -s "$f" "$bus/services/" ;;
		esac
	done
	cat >"$bus/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=${TMPDIR:-/tmp}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$bus/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
	status=0
	FERRY_WITH_KEYRING_INNER=1 dbus-run-session --config-file="$bus/session.conf" -- "$0" "$@" || status=$?
	rm -rf "$bus"
	exit $status
fi
unset FERRY_WITH_KEYRING_INNER

# Inside the new session bus.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data" "$tmp/run"
chmod 700 "$tmp" "$tmp/run"

# gnome-keyring 42 reads the unlock password on stdin; with no login keyring
# in its data dir it creates one with that password. A private XDG_DATA_HOME
# keeps the user's real keyring out of it; a private XDG_RUNTIME_DIR keeps its
# control socket from colliding with another session's daemon.
if ! printf %s "${FERRY_KEYRING_PASSWORD:-test}" |
	XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" \
		gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>"$tmp/daemon.log"; then
	echo "$0: gnome-keyring-daemon failed:" >&2
	cat "$tmp/daemon.log" >&2
	exit 1
fi

# The daemon may claim its bus name a moment after it returns; wait for it
# so no call races it into D-Bus activating a second daemon.
if command -v gdbus >/dev/null 2>&1; then
	i=0
	until gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null | grep -q true; do
		i=$((i + 1))
		if [ "$i" -ge 100 ]; then
			echo "$0: gnome-keyring-daemon did not claim org.freedesktop.secrets within 10s" >&2
			cat "$tmp/daemon.log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi

# Prove the Secret Service works before handing over.
probe="probe-$$"
if ! printf %s "$probe" | timeout 10 secret-tool store --label="ferry keyring probe" ferry-probe "$probe" 2>"$tmp/probe.log" ||
	[ "$(timeout 10 secret-tool lookup ferry-probe "$probe" 2>>"$tmp/probe.log")" != "$probe" ]; then
	echo "$0: the Secret Service did not store and return a probe secret:" >&2
	cat "$tmp/daemon.log" "$tmp/probe.log" >&2
	exit 1
fi
timeout 10 secret-tool clear ferry-probe "$probe" || true

set +e
"$@"
status=$?
exit $status
