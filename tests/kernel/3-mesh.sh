#!/bin/sh
# 3: the kernel's mgmt mesh interface (--hci hci0:mesh) beside bluetoothd
# while it discovers and advertises: as scenario 2, through the kernel, and
# here provisioning and configuration must succeed. Then without --hci:
# meshprov picks hci0:mesh on this kernel (6.1) and hears the device that
# is never provisioned.
. "$(dirname "$0")/lib.sh"
beside_bluetoothd 3 hci0:mesh must

RUN=scan-default mp -v scan --timeout 4 --json
check 3 "scan without --hci exits 0" "exit $rc: $(tail -n 1 "$LOG/scan-default.err")" [ "$rc" -eq 0 ]
check 3 "without --hci meshprov picks hci0:mesh (-v says so)" "stderr: $(cat "$LOG/scan-default.err")" \
	grep -q 'no --hci given: hci0:mesh, as the kernel offers the mesh interface' "$LOG/scan-default.err"
check 3 "scan without --hci hears the unprovisioned device" "output: $(head -c 300 "$LOG/scan-default.out")" \
	grep -q "$WITNESS_UUID" "$LOG/scan-default.out"
finish
