#!/bin/sh
# 6: the service under systemd, as a newcomer sets it up: `make install`,
# one credentials line, `systemctl start meshprov` with the shipped unit and
# its sandboxing; the device is provisioned and configured with no other
# command; a reload with a broken config keeps it running; stop exits 0;
# the journal has its lines with their priorities and no secret.
# vm: --systemd
. "$(dirname "$0")/lib.sh"
MP=/usr/local/bin/meshprov

# bluetoothd would be started for hci0 (bluetooth.target); this scenario is
# meshprov alone on the raw socket
systemctl mask --runtime --now bluetooth.service >/dev/null 2>&1
air_start || { notok "6 the air: no hci0 from btvirt -l1 -s"; finish; }
device_start || { notok "6 the device: vair did not connect to btvirt"; finish; }
hciconfig hci0 up || { notok "6 hciconfig hci0 up failed"; finish; }

make install >"$LOG/install.log" 2>&1
rc=$?
check 6 "make install" "exit $rc: $(tail -n 5 "$LOG/install.log")" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || finish
check 6 "make install made the credentials file, 0600 meshprov" "$(ls -l /etc/meshprov/devices 2>&1)" \
	sh -c 'ls -l /etc/meshprov/devices | grep -q "^-rw------- .* meshprov meshprov "'
echo "aligenie $AG_PID $AG_MAC $AG_SECRET" >>/etc/meshprov/devices

systemctl start meshprov >"$LOG/start.log" 2>&1
rc=$?
check 6 "systemctl start meshprov" "exit $rc: $(cat "$LOG/start.log")" [ "$rc" -eq 0 ]

configured() {
	MESHPROV_CONTROL=/run/meshprov/control "$MP" nodes --json >"$LOG/nodes.daemon" 2>&1 &&
		node_configured "$LOG/nodes.daemon"
}
check 6 "the daemon provisions and configures the device on its own" \
	"nodes: $(cat "$LOG/nodes.daemon" 2>/dev/null)" wait_for 900 configured
check 6 "the device reports provisioned and an AppKey" "report: $(tail -n 3 "$LOG/report.jsonl" 2>/dev/null)" \
	sh -c "grep -q '\"event\": *\"provisioned\"' '$LOG/report.jsonl' && grep -qi 'appkey' '$LOG/report.jsonl'"

cp /etc/meshprov/meshprov.conf "$LOG/meshprov.conf.orig"
echo "no_such_key = 1" >>/etc/meshprov/meshprov.conf
systemctl reload meshprov >"$LOG/reload.log" 2>&1
sleep 2
check 6 "reload with a broken config: still running" "$(systemctl status meshprov 2>&1 | head -n 20)" \
	systemctl is-active -q meshprov
check 6 "reload with a broken config: the daemon still answers" "" configured
cp "$LOG/meshprov.conf.orig" /etc/meshprov/meshprov.conf

systemctl stop meshprov >"$LOG/stop.log" 2>&1
rc=$?
st=$(systemctl show -p ExecMainStatus --value meshprov)
res=$(systemctl show -p Result --value meshprov)
check 6 "systemctl stop: exit status 0" "stop exit $rc, ExecMainStatus $st, Result $res" \
	[ "$rc" -eq 0 ] && [ "$st" = 0 ] && [ "$res" = success ]
# the database is the daemon's while it runs
DB=/var/lib/meshprov/network.json
db_configured
check 6 "after stop, the node is in $DB, configured" "$(cat "$LOG/nodes.json")" node_configured "$LOG/nodes.json"

journalctl -u meshprov -o json --no-pager >"$LOG/journal.json" 2>&1
journalctl -u meshprov -o short-monotonic --no-pager >"$LOG/journal.txt" 2>&1
sed 's/^/# journal: /' "$LOG/journal.txt" >&2
check 6 "journal: info lines at priority 6" "" grep -q '"PRIORITY" *: *"6"' "$LOG/journal.json"
check 6 "journal: the reload error at priority 3, naming the file" "" \
	sh -c "grep '\"PRIORITY\" *: *\"3\"' '$LOG/journal.json' | grep -q 'meshprov.conf'"
check 6 "journal: no <N> level prefix left in a message" "" \
	sh -c "! grep -q '\"MESSAGE\" *: *\"<[0-9]>' '$LOG/journal.json'"
check 6 "journal: no secret" "" sh -c "! grep -qi '$AG_SECRET' '$LOG/journal.json'"
check 6 "journal: with no hci in the configuration, the sandboxed service takes hci0:mesh" "" \
	grep -q 'no --hci given: hci0:mesh, as the kernel offers the mesh interface' "$LOG/journal.txt"
hciconfig hci0 >"$LOG/hciconfig.after" 2>&1
check 6 "hci0 is still up" "$(cat "$LOG/hciconfig.after")" grep -q 'UP RUNNING' "$LOG/hciconfig.after"
finish
