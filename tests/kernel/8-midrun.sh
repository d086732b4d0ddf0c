#!/bin/sh
# 8: bluetoothd starts a discovery while meshprov's daemon already runs on
# the raw socket (--hci hci0) with its own scan: the kernel takes the
# scanning over (its discovery scans with duplicate filtering and turns
# scanning off at its end), so the daemon continues on hci0:mesh and says so
# in one line. A device asked for afterwards on the control socket is
# provisioned and configured; bluetoothd's discovery hears devices, and one
# after the daemon stopped still works; the event masks are the kernel's.
. "$(dirname "$0")/lib.sh"
n=8
air_start || { notok "$n the air: no hci0 from btvirt -l1 -s"; finish; }
device_start --device "uuid:$WITNESS_UUID" ||
	{ notok "$n the devices: vair did not connect to btvirt"; finish; }
bluetoothd_start || { notok "$n bluetoothd did not start and power hci0"; finish; }
sleep 1
from=$(frames)

ctl=/run/meshprov-control # a socket: not on the 9p-shared $LOG
: >"$LOG/devices"
chmod 600 "$LOG/devices"
: >"$LOG/daemon.conf"
"$MESHPROV" --hci hci0 --db "$DB" --control "$ctl" -v daemon --config "$LOG/daemon.conf" \
	--credentials "$LOG/devices" >"$LOG/daemon.out" 2>"$LOG/daemon.err" &
daemon=$!
PIDS="$PIDS $daemon"
check $n "the daemon starts on hci0 (raw) and scans" "stderr: $(tail -n 5 "$LOG/daemon.err")" \
	wait_for 300 grep -q 'controller ready on hci0' "$LOG/daemon.err"
sleep 1

mgmt find -l >"$LOG/find.during" 2>&1 &
find_pid=$!
check $n "once the kernel takes the scanning, the daemon continues on hci0:mesh" \
	"stderr: $(tail -n 5 "$LOG/daemon.err")" \
	wait_for 100 grep -q 'the kernel .* the scanning .*continuing on hci0:mesh' "$LOG/daemon.err"
RUN=provision-ctl mp --control "$ctl" provision --uuid "$AG_UUID" --pid "$AG_PID" \
	--secret "$AG_SECRET" --timeout 60 --json
check $n "provision through the daemon after the switch: exit 0" \
	"exit $rc: $(tail -n 1 "$LOG/provision-ctl.err") $(cat "$LOG/provision-ctl.out")" [ "$rc" -eq 0 ]
check $n "... and configured" "output: $(head -c 300 "$LOG/provision-ctl.out")" \
	grep -q '"configured": *true' "$LOG/provision-ctl.out"
wait "$find_pid"
check $n "bluetoothd's discovery, started while meshprov scanned, heard devices" \
	"$(cat "$LOG/find.during")" \
	sh -c "grep -q 'Discovery started' '$LOG/find.during' && grep -q 'dev_found' '$LOG/find.during'"
check $n "the daemon is still running" "$(tail -n 5 "$LOG/daemon.err")" kill -0 "$daemon"
check $n "the switch is one line" "stderr: $(grep 'hci0:mesh' "$LOG/daemon.err")" \
	[ "$(grep -c 'hci0:mesh' "$LOG/daemon.err")" -eq 1 ]
kill "$daemon"
wait "$daemon"
rc=$?
check $n "the daemon stops on SIGTERM with exit 0" "exit $rc: $(tail -n 3 "$LOG/daemon.err")" [ "$rc" -eq 0 ]
# (while it runs on hci0:mesh, Linux 6.1 answers bluetoothd's Start Discovery
# "busy": see README, hciN:mesh)
after_checks $n "discovering" "$from"
finish
