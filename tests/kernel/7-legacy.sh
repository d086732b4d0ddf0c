#!/bin/sh
# 7: a controller with legacy advertising only (btvirt -L: LE only, Bluetooth
# 4.0), up, without bluetoothd. Linux 6.1 offers the mesh interface for it
# but sends no mesh packet there (it changes the random address while its
# mesh scan runs, which the controller refuses): without --hci meshprov
# takes hci0, says why at -v, and provisions and configures through it.
. "$(dirname "$0")/lib.sh"

BTVIRT_OPTS="-L -l1 -s" air_start || { notok "7 the air: no hci0 from btvirt -L -l1 -s"; finish; }
device_start --device "aligenie:$AG2_PID,$AG2_MAC,$AG2_SECRET" || { notok "7 the device: vair did not connect to btvirt"; finish; }
hciconfig hci0 up || { notok "7 hciconfig hci0 up failed"; finish; }
sleep 1

RUN=scan-default mp -v scan --timeout 5 --json
check 7 "without --hci on a legacy-only controller: hci0, saying why at -v" \
	"stderr: $(cat "$LOG/scan-default.err")" \
	grep -q 'no --hci given: hci0, as the controller has legacy advertising only' "$LOG/scan-default.err"
check 7 "that scan exits 0 and hears the AliGenie device" \
	"exit $rc: $(tail -n 1 "$LOG/scan-default.err") $(head -c 300 "$LOG/scan-default.out")" \
	sh -c "[ $rc -eq 0 ] && grep -q '$AG_UUID' '$LOG/scan-default.out'"

RUN=provision mp -v --db "$DB" provision --uuid "$AG_UUID" --pid "$AG_PID" \
	--secret "$AG_SECRET" --timeout 60 --json
check 7 "provision without --hci on a legacy-only controller: exit 0, configured" \
	"exit $rc: $(tail -n 1 "$LOG/provision.err") $(head -c 300 "$LOG/provision.out")" \
	sh -c "[ $rc -eq 0 ] && grep -q '\"configured\": *true' '$LOG/provision.out'"

# not a check, what the kernel does: the second device through hci0:mesh
use_device2
RUN=mesh-legacy mp -v --hci hci0:mesh --db "$DB" provision --uuid "$AG_UUID" --pid "$AG_PID" \
	--secret "$AG_SECRET" --timeout 20 --json
log "observed: provision through hci0:mesh on the legacy-only controller: exit $rc: $(cat "$LOG/mesh-legacy.out")"
finish
