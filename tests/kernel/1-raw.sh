#!/bin/sh
# 1: the raw HCI socket (--hci hci0) on a controller that is up, without
# bluetoothd: scan, provision and configure an AliGenie device; the
# controller stays up and its event masks are the kernel's afterwards.
# Without --hci and without CAP_NET_ADMIN meshprov picks hci0, and says why.
. "$(dirname "$0")/lib.sh"

air_start || { notok "1 the air: no hci0 from btvirt -l1 -s"; finish; }
device_start || { notok "1 the device: vair did not connect to btvirt"; finish; }
hciconfig hci0 up || { notok "1 hciconfig hci0 up failed"; finish; }
sleep 1
from=$(frames)

RUN=scan mp --hci hci0 scan --timeout 5 --json
check 1 "scan through hci0 exits 0" "exit $rc: $(tail -n 1 "$LOG/scan.err")" [ "$rc" -eq 0 ]
check 1 "scan through hci0 hears the AliGenie device" "output: $(head -c 300 "$LOG/scan.out")" \
	sh -c "grep '$AG_UUID' '$LOG/scan.out' | grep -q '\"product_id\": *$AG_PID'"

# without --hci: hci0:mesh on this kernel, but not without CAP_NET_ADMIN,
# which the mesh interface needs: then the raw hci0 (CAP_NET_RAW is kept)
WRAP="setpriv --inh-caps=-net_admin --bounding-set=-net_admin"
RUN=scan-noadmin mp -v scan --timeout 5 --json
WRAP=
check 1 "without --hci nor CAP_NET_ADMIN, meshprov picks hci0 and says why at -v" \
	"stderr: $(cat "$LOG/scan-noadmin.err")" \
	grep -q 'no --hci given: hci0, as the mesh interface needs CAP_NET_ADMIN' "$LOG/scan-noadmin.err"
check 1 "that scan through hci0 exits 0 and hears the AliGenie device" \
	"exit $rc: $(tail -n 1 "$LOG/scan-noadmin.err") $(head -c 300 "$LOG/scan-noadmin.out")" \
	sh -c "[ $rc -eq 0 ] && grep -q '$AG_UUID' '$LOG/scan-noadmin.out'"

provision_checks 1 hci0

sleep 1
hciconfig hci0 >"$LOG/hciconfig.after" 2>&1
check 1 "hci0 is still up" "$(cat "$LOG/hciconfig.after")" grep -q 'UP RUNNING' "$LOG/hciconfig.after"
check 1 "the event mask is the kernel's afterwards, never narrowed" "see $LOG/masks.ev" masks_kept ev "$from"
check 1 "the LE event mask is the kernel's afterwards, never narrowed" "see $LOG/masks.le" masks_kept le "$from"
finish
