# Helpers for the check-kernel scenarios (tests/kernel/N-*.sh), sourced by
# them; they run as root inside the VM that tests/vm/run boots.
# Environment from tests/kernel/run: MESHPROV, VAIR (built on the host),
# LOG (this scenario's directory, writable and kept on the host).
#
# The air: btvirt -l1 -s gives hci0 (a vhci controller in the kernel) and
# /tmp/bt-server-le, where the vair devices connect as further LE
# controllers on the same air. btmon records everything the kernel and
# meshprov send to hci0 in $LOG/btmon.snoop.
set -u
: "${MESHPROV:?}" "${VAIR:?}" "${LOG:?}"
export MESHPROV_CONTROL=/nonexistent/check-kernel-never-uses-a-daemon
DB=$LOG/network.json
# The AliGenie device of the README's examples.
AG_PID=602
AG_MAC=78:da:07:c1:1c:a8
AG_SECRET=1565d0497400c999e984cffa4da4fdf9
AG_UUID=a801715a020000a81cc107da78021000

PIDS=""
failures=0
cleanup_lib() {
	dmesg >"$LOG/dmesg" 2>&1
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup_lib EXIT

# btmgmt prints nothing unless its stdin is a terminal: give it one.
mgmt() {
	script -qec "btmgmt --index 0 $*" /dev/null </dev/null | tr -d '\r'
}

ok() { echo "ok $*"; }
notok() { echo "not ok $*"; failures=$((failures + 1)); }
# check N NAME REASON-IF-FALSE COMMAND...: one result line
check() {
	n=$1 name=$2 why=$3
	shift 3
	if "$@"; then ok "$n $name"; else notok "$n $name: $why"; fi
}
finish() { [ "$failures" -eq 0 ]; exit; }
log() { echo "# $*" >&2; }

wait_for() { # TENTHS COMMAND...: until COMMAND succeeds, at most TENTHS/10 s
	t=$1
	shift
	while ! "$@" 2>/dev/null; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

btmon_start() {
	btmon -w "$LOG/btmon.snoop" >"$LOG/btmon.log" 2>&1 &
	PIDS="$PIDS $!"
	sleep 1 # btmon opens the monitor channel
}

# hci0 from btvirt (down: the kernel powers an unclaimed controller off after
# its set-up) and /tmp/bt-server-le. $BTVIRT_OPTS replaces btvirt's options
# (default -l1 -s: a Bluetooth 5 controller).
air_start() {
	# btvirt's controllers use AF_ALG for their LE crypto: loaded now (over
	# 9p, under TCG, seconds), btvirt would answer the kernel's first HCI
	# Reset too late and hci0 would never be set up
	modprobe -a af_alg algif_hash algif_skcipher cmac ecb 2>/dev/null
	btmon_start
	# shellcheck disable=SC2086
	btvirt ${BTVIRT_OPTS:--l1 -s} >"$LOG/btvirt.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 200 test -e /sys/class/bluetooth/hci0 || { log "no hci0 from btvirt"; return 1; }
	wait_for 200 test -S /tmp/bt-server-le || { log "no /tmp/bt-server-le from btvirt"; return 1; }
	# the kernel's set-up of hci0 (HCI_SETUP, then auto power-off) is over
	wait_for 200 set_up || { log "hci0 never set up: $(dmesg | grep -i 'bluetooth\|hci' | tail -n 5)"; return 1; }
	wait_for 200 unpowered
	wait_for 100 is_down
}
set_up() { hciconfig hci0 | grep 'BD Address' | grep -vq '00:00:00:00:00:00'; }
unpowered() { ! mgmt info | grep -q 'current settings:.*powered'; }
powered() { mgmt info | grep -q 'current settings:.*powered'; }
is_down() { hciconfig hci0 | grep -q DOWN; }

# The simulated AliGenie device, and those given as --device SPEC, each a
# client of btvirt's LE socket.
device_start() {
	"$VAIR" --connect unix:/tmp/bt-server-le --report "$LOG/report.jsonl" \
		--ready-file "$LOG/vair.ready" \
		--device "aligenie:$AG_PID,$AG_MAC,$AG_SECRET" "$@" >"$LOG/vair.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 300 test -e "$LOG/vair.ready" || { log "vair not ready"; return 1; }
}

# meshprov ARGS...: runs it with output in $LOG/NAME.out, .err (NAME from
# $RUN, default "meshprov"), under the command in $WRAP if set (words);
# sets rc and secs (wall seconds).
mp() {
	name=${RUN:-meshprov}
	t0=$(date +%s)
	# shellcheck disable=SC2086
	${WRAP:-} "$MESHPROV" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err"
	rc=$?
	secs=$(($(date +%s) - t0))
	log "meshprov $* -> exit $rc in ${secs}s"
	sed 's/^/#   /' "$LOG/$name.err" >&2
	return 0
}

# The event masks in the capture: "N MASK" per Set Event Mask ("ev") or LE
# Set Event Mask ("le") command, in order; N is the packet's frame number.
masks() { # ev|le
	case $1 in
	ev) pat='Set Event Mask (0x03|0x0001)' ;;
	le) pat='LE Set Event Mask (0x08|0x0001)' ;;
	esac
	btmon -r "$LOG/btmon.snoop" 2>/dev/null | awk -v pat="$pat" '
		index($0, "< HCI Command: " pat) { want = 1; match($0, /#[0-9]+ /); n = substr($0, RSTART + 1, RLENGTH - 2); next }
		want && /Mask: 0x/ { print n, $2; want = 0 }
		/^[<>@=]/ { want = 0 }'
}
frames() { # the number of the last frame in the capture so far
	btmon -r "$LOG/btmon.snoop" 2>/dev/null | sed -n 's/^[<>@=].* #\([0-9]*\) .*/\1/p' | tail -n 1
}

# A mask sent after frame FROM that clears a bit of the last one before
# it, or a last mask that differs: printed, and false.
masks_kept() { # ev|le FROM
	masks "$1" >"$LOG/masks.$1"
	before=$(awk -v f="$2" '$1 + 0 <= f { m = $2 } END { print m }' "$LOG/masks.$1")
	after=$(awk '{ m = $2 } END { print m }' "$LOG/masks.$1")
	[ -n "$before" ] || { log "no $1 mask from the kernel in the capture"; return 1; }
	bad=""
	for m in $(awk -v f="$2" '$1 + 0 > f { print $2 }' "$LOG/masks.$1"); do
		narrower "$before" "$m" && bad="$bad $m"
	done
	if [ -n "$bad" ] || [ "$after" != "$before" ]; then
		log "$1 event mask: the kernel's $before; sent since:$bad (narrower), last $after"
		return 1
	fi
}
narrower() { # OLD NEW: does NEW clear a bit that OLD has? (64-bit hex, 32 at a time)
	o=$(printf '%016x' "$(( $1 ))" 2>/dev/null) || o=${1#0x}
	w=$(printf '%016x' "$(( $2 ))" 2>/dev/null) || w=${2#0x}
	oh=$((0x$(echo "$o" | cut -c1-8))) ol=$((0x$(echo "$o" | cut -c9-16)))
	nh=$((0x$(echo "$w" | cut -c1-8))) nl=$((0x$(echo "$w" | cut -c9-16)))
	[ $((oh & nh)) -ne $oh ] || [ $((ol & nl)) -ne $ol ]
}

# The device's report has an event EVENT (e.g. provisioned).
reported() { grep -q "\"event\": *\"$1\"" "$LOG/report.jsonl" 2>/dev/null; }

# FILE (the nodes command's JSON) has AG_UUID as a configured node.
node_configured() {
	sed 's/},{"uuid"/}\n{"uuid"/g' "$1" | grep "\"uuid\": *\"$AG_UUID\"" | grep -q '"configured": *true'
}
db_configured() {
	"$MESHPROV" --db "$DB" --no-daemon nodes --json >"$LOG/nodes.json" 2>&1 && node_configured "$LOG/nodes.json"
}

# Provision and configure the AliGenie device through --hci SPEC; one result
# line per aspect, numbered N.
provision_checks() { # N SPEC [MESHPROV OPTIONS...]
	n=$1 spec=$2
	shift 2
	RUN=provision mp --hci "$spec" --db "$DB" "$@" provision --uuid "$AG_UUID" \
		--pid "$AG_PID" --secret "$AG_SECRET" --timeout 60 --json
	check "$n" "provision through $spec exits 0" "exit $rc: $(tail -n 1 "$LOG/provision.err")" \
		[ "$rc" -eq 0 ]
	check "$n" "provision through $spec: configured" "output: $(head -c 300 "$LOG/provision.out")" \
		grep -q '"configured": *true' "$LOG/provision.out"
	check "$n" "the device reports provisioned and an AppKey" "report: $(tail -n 3 "$LOG/report.jsonl" 2>/dev/null)" \
		sh -c "grep -q '\"event\": *\"provisioned\"' '$LOG/report.jsonl' && grep -qi 'appkey' '$LOG/report.jsonl'"
	check "$n" "the database has the node configured" "$(head -c 300 "$LOG/nodes.json" 2>/dev/null)" \
		db_configured
}

# bluetoothd on the system bus, hci0 powered by it.
bluetoothd_start() {
	mkdir -p /run/dbus
	dbus-daemon --system --fork >"$LOG/dbus.log" 2>&1 || { log "dbus-daemon failed"; return 1; }
	/usr/sbin/bluetoothd -n -d >"$LOG/bluetoothd.log" 2>&1 &
	BLUETOOTHD=$!
	PIDS="$PIDS $BLUETOOTHD"
	wait_for 100 sh -c 'dbus-send --system --print-reply --dest=org.bluez / org.freedesktop.DBus.Introspectable.Introspect >/dev/null' ||
		{ log "bluetoothd is not on the bus"; return 1; }
	powered || mgmt power on >"$LOG/btmgmt.power-on"
	wait_for 100 powered || { log "hci0 not powered: $(mgmt info)"; return 1; }
}

# The second AliGenie device (the demo's).
AG2_PID=0x1234
AG2_MAC=28:fa:7a:01:91:da
AG2_SECRET=00112233445566778899aabbccddeeff
AG2_UUID=a8017134120000da91017afa28021000
use_device2() { AG_PID=$AG2_PID AG_MAC=$AG2_MAC AG_SECRET=$AG2_SECRET AG_UUID=$AG2_UUID; }
# A device no scenario provisions (scenarios 2 and 3: heard by the last discovery).
WITNESS_UUID=0011223344556677889900000000ee01

# Scenarios 2 and 3: meshprov through SPEC while bluetoothd is running and
# discovering (btmgmt find -l), then while it advertises (btmgmt add-adv):
# provisioning and configuration succeed (or, unless MUST is "must", fail
# saying why; with MUST "must-discovering" they must succeed while
# bluetoothd discovers); the event masks are the kernel's afterwards;
# bluetoothd still discovers and advertises.
beside_bluetoothd() { # N SPEC [MUST]
	n=$1 spec=$2 must_all=${3:-}
	must=$must_all
	air_start || { notok "$n the air: no hci0 from btvirt -l1 -s"; return; }
	# a third device is never provisioned: it beacons throughout, so that a
	# discovery after both AliGenie devices became nodes has one to hear
	device_start --device "aligenie:$AG2_PID,$AG2_MAC,$AG2_SECRET" \
		--device "uuid:$WITNESS_UUID" ||
		{ notok "$n the devices: vair did not connect to btvirt"; return; }
	bluetoothd_start || { notok "$n bluetoothd did not start and power hci0"; return; }
	sleep 1

	# the kernel's masks: the last ones before meshprov first runs
	from=$(frames)
	mgmt find -l >"$LOG/find.during" 2>&1 &
	find_pid=$!
	sleep 1
	[ "$must_all" = must-discovering ] && must=must
	provision_or_says_so "$n" "$spec" "while bluetoothd discovers" discovering
	must=$must_all
	wait "$find_pid"
	log "btmgmt find -l during: $(grep -c dev_found "$LOG/find.during") dev_found, $(grep -i discover "$LOG/find.during" | tr '\n' ' ')"
	after_checks "$n" "discovering" "$from"

	mgmt add-adv -d 0201060909746573742d616476 1 >"$LOG/add-adv" 2>&1
	grep -q 'Instance added' "$LOG/add-adv" || log "btmgmt add-adv: $(cat "$LOG/add-adv")"
	use_device2
	provision_or_says_so "$n" "$spec" "while bluetoothd advertises" advertising
	after_checks "$n" "advertising" "$from"
	mgmt advinfo >"$LOG/advinfo" 2>&1
	check "$n" "the kernel still has its advertising instance" "$(cat "$LOG/advinfo")" \
		grep -qi 'instances list with 1 item' "$LOG/advinfo"
}
provision_or_says_so() { # N SPEC WHEN TAG
	out=$LOG/provision-$4.out
	RUN=provision-$4 mp --hci "$2" --db "$DB" provision --uuid "$AG_UUID" \
		--pid "$AG_PID" --secret "$AG_SECRET" --timeout 60 --json
	log "output: $(cat "$out")"
	if [ "$rc" -eq 0 ] || [ "$must" = must ]; then
		check "$1" "provision through $2 $3: exit 0" "exit $rc: $(tail -n 1 "$LOG/provision-$4.err") $(cat "$out")" \
			[ "$rc" -eq 0 ]
		check "$1" "provision through $2 $3: configured" "output: $(head -c 300 "$out")" \
			grep -q '"configured": *true' "$out"
		check "$1" "the device reports provisioned" "report: $(tail -n 3 "$LOG/report.jsonl")" \
			grep -q "\"event\": *\"provisioned\", *\"uuid\": *\"$AG_UUID\"" "$LOG/report.jsonl"
		check "$1" "the database has the node configured" "$(cat "$LOG/nodes.json" 2>/dev/null)" \
			db_configured
	else
		err="$(tail -n 1 "$LOG/provision-$4.err") $(grep -o '"error": *"[^"]*"' "$out")"
		check "$1" "provision through $2 $3 failed (exit $rc) saying why" "error: $err" says_why
	fi
}
# in words, not an HCI command's name and status
says_why() { echo "$err" | grep -Eqi 'bluetoothd|discover|busy|in use|another'; }
after_checks() { # N WHEN FROM
	check "$1" "event mask the kernel's after meshprov ran ($2), never narrowed" "see $LOG/masks.ev" \
		masks_kept ev "$3"
	check "$1" "LE event mask the kernel's after meshprov ran ($2), never narrowed" "see $LOG/masks.le" \
		masks_kept le "$3"
	check "$1" "bluetoothd still running ($2)" "" kill -0 "$BLUETOOTHD"
	mgmt find -l >"$LOG/find.after-$2" 2>&1
	check "$1" "a second btmgmt find -l hears the devices ($2)" "$(cat "$LOG/find.after-$2")" \
		sh -c "grep -q 'Discovery started' '$LOG/find.after-$2' && grep -q 'dev_found' '$LOG/find.after-$2'"
}
