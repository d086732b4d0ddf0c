#!/bin/sh
# 4: the HCI user channel (--hci hci0:user): refused with a clear error while
# the controller is up; after `btmgmt power off` it provisions and
# configures, and the kernel has the controller back afterwards.
. "$(dirname "$0")/lib.sh"

air_start || { notok "4 the air: no hci0 from btvirt -l1 -s"; finish; }
device_start || { notok "4 the device: vair did not connect to btvirt"; finish; }

hciconfig hci0 up || { notok "4 hciconfig hci0 up failed"; finish; }
RUN=user-up mp --hci hci0:user scan --timeout 30
check 4 "hci0:user while up: exit 1" "exit $rc" [ "$rc" -eq 1 ]
check 4 "hci0:user while up: at once" "took ${secs}s" [ "$secs" -le 5 ]
check 4 "hci0:user while up: the error says the controller is up" "stderr: $(cat "$LOG/user-up.err")" \
	grep -qi 'up' "$LOG/user-up.err"

mgmt power off >"$LOG/btmgmt.power-off" 2>&1
wait_for 50 sh -c 'hciconfig hci0 | grep -q DOWN' ||
	{ notok "4 btmgmt power off left hci0 up: $(cat "$LOG/btmgmt.power-off")"; finish; }

provision_checks 4 hci0:user

sleep 1
mgmt info >"$LOG/btmgmt.info" 2>&1
check 4 "the kernel has hci0 back (btmgmt info)" "$(cat "$LOG/btmgmt.info")" \
	grep -q '^hci0:' "$LOG/btmgmt.info"
finish
